/** Who may do what (保障措施(三): no black-box operation; every action attributable). */
export const ROLES = [
  'county_reviewer',
  'city_health_commission',
  'finance',
  'housing_task_force',
  'appraiser',
  'auditor',
  'administrator',
] as const;
export type Role = (typeof ROLES)[number];

/** A county reviewer acts for one jurisdiction only; finance may be scoped to one (a county's finance bureau). */
export const SCOPED_ROLES: readonly Role[] = ['county_reviewer'];

export interface Actor {
  subject: string;
  role: Role;
  jurisdiction?: string;
}

/** Roles that see ID numbers and bank accounts in full; everyone else sees them masked. */
export function canSeePersonalData(role: string): boolean {
  return role === 'county_reviewer' || role === 'city_health_commission';
}
