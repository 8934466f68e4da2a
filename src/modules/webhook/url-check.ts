import dns from 'node:dns';
import net from 'node:net';

/** Why a webhook URL or address is refused; the message is safe to show to the API client. */
export class WebhookUrlError extends Error {
  constructor(message: string, readonly code = 'EWEBHOOKURL') {
    super(message);
  }
}

export const WEBHOOK_URL_MAX = 2000;

type Range4 = [base: number, bits: number];

const ipv4 = (text: string): number => text.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** IPv4 ranges no webhook may reach: private, loopback, link-local, shared, multicast, reserved. */
const BLOCKED_V4: Range4[] = ([
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. cloud metadata endpoints
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const).map(([base, bits]) => [ipv4(base), bits]);

function blockedV4(address: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return ((address & mask) >>> 0) === ((base & mask) >>> 0);
  });
}

/** The 16 bytes of an IPv6 address (with or without an embedded dotted quad); null if malformed. */
function ipv6Bytes(text: string): number[] | null {
  let head = text.toLowerCase();
  const zone = head.indexOf('%');
  if (zone >= 0) head = head.slice(0, zone);
  let tailV4: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (dotted) {
    if (!net.isIPv4(dotted[2])) return null;
    tailV4 = dotted[2].split('.').map(Number);
    head = `${dotted[1]}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const bytes: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tailV4.length) bytes.splice(12, 4, ...tailV4);
  return bytes;
}

const v4Of = (bytes: number[], at: number) => ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;

function blockedV6(bytes: number[]): boolean {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 15) && (bytes[15] === 0 || bytes[15] === 1)) return true; // :: and ::1
  if ((bytes[0] & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0xc0) return true; // fec0::/10 site-local (deprecated)
  if (bytes[0] === 0xff) return true; // multicast
  // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:aabb:ccdd::
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return blockedV4(v4Of(bytes, 12));
  if (zeros(0, 12)) return blockedV4(v4Of(bytes, 12));
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return blockedV4(v4Of(bytes, 12));
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return blockedV4(v4Of(bytes, 2));
  return false;
}

/** True for an address a webhook must not reach unless WEBHOOK_ALLOW_PRIVATE is set (and for anything unparsable). */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return blockedV4(ipv4(address));
  const bytes = ipv6Bytes(address);
  return bytes === null || blockedV6(bytes);
}

function isLocalName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain';
}

/** The host of a URL without IPv6 brackets or a trailing dot. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** Parses and checks the form of a webhook URL (no network): http(s), a host, no credentials. */
export function parseWebhookUrl(raw: string): URL {
  const text = raw.trim();
  if (!text) throw new WebhookUrlError('url must not be blank');
  if (text.length > WEBHOOK_URL_MAX) throw new WebhookUrlError(`url must be at most ${WEBHOOK_URL_MAX} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookUrlError('url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError('url must use http or https');
  if (!url.hostname) throw new WebhookUrlError('url must name a host');
  if (url.username || url.password) throw new WebhookUrlError('url must not contain credentials; the receiver verifies the signature instead');
  url.hash = '';
  return url;
}

const PRIVATE_REFUSAL = 'url points to a private, loopback or link-local address; set WEBHOOK_ALLOW_PRIVATE=true to allow that';

/**
 * Checks a webhook URL before it is stored: the form, then every address its host resolves to.
 * A host that resolves to any private, loopback, link-local or unique-local address is refused.
 */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(raw);
  if (allowPrivate) return url;
  const host = bareHost(url);
  if (isLocalName(host)) throw new WebhookUrlError(PRIVATE_REFUSAL);
  if (net.isIP(host)) {
    if (isPrivateAddress(host)) throw new WebhookUrlError(PRIVATE_REFUSAL);
    return url;
  }
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true, verbatim: true });
  } catch {
    throw new WebhookUrlError(`url host ${host} could not be resolved`);
  }
  if (!addresses.length || addresses.some((a) => isPrivateAddress(a.address))) throw new WebhookUrlError(PRIVATE_REFUSAL);
  return url;
}

/** The refusal an IP-literal host gets at delivery time, or null when it may be reached. */
export function literalHostRefusal(url: URL, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  const host = bareHost(url);
  if (isLocalName(host)) return 'address not allowed';
  return net.isIP(host) && isPrivateAddress(host) ? 'address not allowed' : null;
}

/**
 * A `lookup` for http.request that refuses private addresses at connect time: the connection goes
 * to exactly the addresses checked here, so a host that re-resolves to an internal address after
 * the endpoint was created (DNS rebinding) is refused too.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!list.length || (!allowPrivate && list.some((a) => isPrivateAddress(a.address)))) {
        const refused = Object.assign(new Error('address not allowed'), { code: 'EWEBHOOKPRIVATE' }) as NodeJS.ErrnoException;
        return callback(refused, '', 0);
      }
      if ((options as dns.LookupOptions).all) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}
