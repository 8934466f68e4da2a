import { startTestApp, ok, errorCode, type TestApp } from './helpers/app';
import { createOwner } from './helpers/factories';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

test('creates, reads, updates and archives an owner, writing an audit row per write', async () => {
  const owner = await createOwner(app, { name: 'Alice', kind: 'PERSON', email: 'alice@example.com' });
  const read = ok(await app.gql('query($id: ID!) { owner(id: $id) { id name email kind version } }', { id: owner.id }));
  expect(read.owner).toMatchObject({ name: 'Alice', email: 'alice@example.com', kind: 'PERSON', version: 1 });

  const updated = ok(await app.gql('mutation($id: ID!) { updateOwner(id: $id, input: { name: "Alice B" }, expectedVersion: 1) { name version } }', { id: owner.id }));
  expect(updated.updateOwner).toEqual({ name: 'Alice B', version: 2 });

  const stale = await app.gql('mutation($id: ID!) { updateOwner(id: $id, input: { name: "Lost" }, expectedVersion: 1) { name } }', { id: owner.id });
  expect(errorCode(stale)).toBe('CONFLICT');
  const [row] = await app.sql('SELECT name, version FROM owner WHERE id = $1', [owner.id]);
  expect(row).toEqual({ name: 'Alice B', version: 2 });

  ok(await app.gql('mutation($id: ID!) { archiveOwner(id: $id) { archivedAt } }', { id: owner.id }));
  const list = ok(await app.gql('{ owners(filter: { nameContains: "Alice" }) { totalCount } }'));
  expect(list.owners.totalCount).toBe(0);
  const audit = await app.sql('SELECT operation FROM audit_event WHERE entity_id = $1 ORDER BY at, operation', [owner.id]);
  expect(audit.map((a) => a.operation).sort()).toEqual(['archiveOwner', 'createOwner', 'updateOwner']);
});
