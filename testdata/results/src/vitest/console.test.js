import { describe, it, expect } from 'vitest';

describe('console', () => {
  it('renders the graph list', () => {
    expect(['users', 'orders']).toContain('users');
  });
  it('shows orders as ready', () => {
    expect({ ready: false, reason: 'DependencyNotReady' }).toEqual({ ready: true });
  });
  it.skip('exports a PNG', () => {});
  it.todo('supports dark mode');
});

describe('login', () => {
  it('accepts a token', () => {
    throw new Error('401 from /api/login');
  });
  it('logs out', () => {
    expect(1).toBe(1);
  });
});
