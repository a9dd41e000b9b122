const assert = require('assert');

describe('orders API', function () {
  it('lists orders', function () {
    assert.deepStrictEqual([1, 2].length, 2);
  });
  it('creates an order', function () {
    assert.strictEqual(503, 201, 'POST /api/orders returned 503: upstream gateway not ready');
  });
  it.skip('exports orders as CSV', function () {});
  it('cancels an order', function () {
    assert.ok(true);
  });
});

describe('users API', function () {
  it('lists users', function () {});
  it('rejects a bad token', function () {
    throw new Error('expected 401, got 500 @security-team');
  });
});
