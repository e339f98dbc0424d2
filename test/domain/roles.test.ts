import {
  allowedPrincipals,
  GATEWAY_ROLE,
  hasRole,
  highestRole,
  mayCall,
  principalOf,
} from '../../domain/roles';

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

describe('the gateway beside the ladder', () => {
  it('makes a token with the gateway role the gateway, even with a default viewer role', () => {
    expect(principalOf([GATEWAY_ROLE])).toBe(GATEWAY_ROLE);
    expect(principalOf(['viewer', 'offline_access', GATEWAY_ROLE])).toBe(GATEWAY_ROLE);
  });

  it('refuses the gateway role together with editor or admin', () => {
    expect(() => principalOf(['admin', GATEWAY_ROLE])).toThrow(/cannot be combined/);
    expect(() => principalOf([GATEWAY_ROLE, 'editor'])).toThrow(/cannot be combined/);
  });

  it('gives the gateway no rung of the ladder, not even a viewer', () => {
    for (const need of ['viewer', 'editor', 'admin'] as const)
      expect(hasRole(GATEWAY_ROLE, need)).toBe(false);
    expect(mayCall(GATEWAY_ROLE, 'viewer')).toBe(false);
    expect(mayCall(GATEWAY_ROLE, 'admin')).toBe(false);
    expect(mayCall(GATEWAY_ROLE, 'public')).toBe(true);
  });

  it('spells out who each access lets in', () => {
    expect(allowedPrincipals('public')).toBeNull();
    expect(allowedPrincipals('viewer')).toEqual(['viewer', 'editor', 'admin']);
    expect(allowedPrincipals('admin')).toEqual(['admin']);
    expect(allowedPrincipals(GATEWAY_ROLE)).toEqual([GATEWAY_ROLE]);
    expect(allowedPrincipals('viewer|billing-gateway')).toEqual(['viewer', 'editor', 'admin', GATEWAY_ROLE]);
    expect(allowedPrincipals('admin|billing-gateway')).toEqual(['admin', GATEWAY_ROLE]);
    expect(mayCall('admin', GATEWAY_ROLE)).toBe(false);
  });
});
