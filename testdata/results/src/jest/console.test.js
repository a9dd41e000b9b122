describe('console', () => {
  test('renders the graph list', () => {
    expect(['users', 'orders']).toContain('users');
  });
  test('shows orders as ready', () => {
    expect({ ready: false, reason: 'DependencyNotReady' }).toEqual({ ready: true });
  });
  test.skip('exports a PNG', () => {});
});
describe('login | <script>alert(1)</script>', () => {
  test('accepts a token', () => {
    throw new Error('401 from /api/login ```\nbreak out');
  });
});
