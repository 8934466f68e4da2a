import { Relationship } from '../src/modules/crosswalk/crosswalk.entity';
import { inverse, isFullHop, parseRelationship } from '../src/modules/crosswalk/crosswalk.rules';

const ALL = Object.values(Relationship);

describe('inverse (a mapping read backwards, NIST IR 8477)', () => {
  test('SUBSET_OF and SUPERSET_OF swap', () => {
    expect(inverse(Relationship.SUBSET_OF)).toBe(Relationship.SUPERSET_OF);
    expect(inverse(Relationship.SUPERSET_OF)).toBe(Relationship.SUBSET_OF);
  });

  test('EQUAL, INTERSECTS_WITH and NOT_RELATED stay', () => {
    expect(inverse(Relationship.EQUAL)).toBe(Relationship.EQUAL);
    expect(inverse(Relationship.INTERSECTS_WITH)).toBe(Relationship.INTERSECTS_WITH);
    expect(inverse(Relationship.NOT_RELATED)).toBe(Relationship.NOT_RELATED);
  });

  test('reading backwards twice gives the relationship back', () => {
    for (const r of ALL) expect(inverse(inverse(r))).toBe(r);
  });
});

describe('isFullHop (read from the covered side)', () => {
  test('EQUAL and SUPERSET_OF are FULL hops', () => {
    expect(isFullHop(Relationship.EQUAL)).toBe(true);
    expect(isFullHop(Relationship.SUPERSET_OF)).toBe(true);
  });

  test('SUBSET_OF, INTERSECTS_WITH and NOT_RELATED are not', () => {
    expect(isFullHop(Relationship.SUBSET_OF)).toBe(false);
    expect(isFullHop(Relationship.INTERSECTS_WITH)).toBe(false);
    expect(isFullHop(Relationship.NOT_RELATED)).toBe(false);
  });

  test('a stored SUBSET_OF is FULL from its target side, PARTIAL from its source side', () => {
    // `ac SUBSET_OF a5` read from a5 (the covered side) is a5 SUPERSET_OF ac
    expect(isFullHop(inverse(Relationship.SUBSET_OF))).toBe(true);
    expect(isFullHop(Relationship.SUBSET_OF)).toBe(false);
    expect(isFullHop(inverse(Relationship.SUPERSET_OF))).toBe(false);
  });
});

describe('parseRelationship (spellings importers meet)', () => {
  test.each([
    ['equal', Relationship.EQUAL],
    ['Equal', Relationship.EQUAL],
    ['EQUAL', Relationship.EQUAL],
    ['equals', Relationship.EQUAL],
    ['equivalent', Relationship.EQUAL],
    ['eq', Relationship.EQUAL],
    ['subset', Relationship.SUBSET_OF],
    ['subset_of', Relationship.SUBSET_OF],
    ['SUBSET_OF', Relationship.SUBSET_OF],
    ['subset of', Relationship.SUBSET_OF],
    ['subset-of', Relationship.SUBSET_OF],
    ['is_subset_of', Relationship.SUBSET_OF],
    ['superset', Relationship.SUPERSET_OF],
    ['superset_of', Relationship.SUPERSET_OF],
    ['Superset Of', Relationship.SUPERSET_OF],
    ['is-superset-of', Relationship.SUPERSET_OF],
    ['intersect', Relationship.INTERSECTS_WITH],
    ['intersects', Relationship.INTERSECTS_WITH],
    ['intersects_with', Relationship.INTERSECTS_WITH],
    ['INTERSECTS_WITH', Relationship.INTERSECTS_WITH],
    ['intersects with', Relationship.INTERSECTS_WITH],
    ['Intersects-With', Relationship.INTERSECTS_WITH],
    ['intersection', Relationship.INTERSECTS_WITH],
    ['not_related', Relationship.NOT_RELATED],
    ['NOT_RELATED', Relationship.NOT_RELATED],
    ['not related', Relationship.NOT_RELATED],
    ['not-related', Relationship.NOT_RELATED],
    ['no_relationship', Relationship.NOT_RELATED],
    ['not_related_to', Relationship.NOT_RELATED],
    ['  intersect  ', Relationship.INTERSECTS_WITH],
    ['\tequal\n', Relationship.EQUAL],
  ])('%j → %s', (text, expected) => {
    expect(parseRelationship(text)).toBe(expected);
  });

  test('every stored value parses to itself', () => {
    for (const r of ALL) expect(parseRelationship(r)).toBe(r);
  });

  test.each(['', '   ', 'related', 'same', 'sub', 'supersets', 'equal-ish', 'intersect with', 'EQUAL_TO', '=', 'null', 'undefined'])(
    'refuses %j',
    (text) => {
      expect(parseRelationship(text)).toBeUndefined();
    },
  );

  test('does not read keys of Object.prototype as relationships', () => {
    for (const text of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(parseRelationship(text)).toBeUndefined();
    }
  });
});
