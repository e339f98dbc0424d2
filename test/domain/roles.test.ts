import { hasRole, highestRole } from '../../domain/roles';

describe('role ladder', () => {
  it('takes the highest known role and treats unknown roles as viewer', () => {
    expect(highestRole(['offline_access', 'editor'])).toBe('editor');
    expect(highestRole(['admin', 'viewer'])).toBe('admin');
    expect(highestRole(['uma_authorization'])).toBe('viewer');
  });

  it('lets a higher role do what a lower one may, never the reverse', () => {
    expect(hasRole('admin', 'editor')).toBe(true);
    expect(hasRole('editor', 'viewer')).toBe(true);
    expect(hasRole('viewer', 'editor')).toBe(false);
    expect(hasRole('editor', 'admin')).toBe(false);
  });
});
