import { addMonths, type Month } from '@accord/plan-calc';
import type { Role } from '@accord/protocol';
import type { AdminService } from '../admin/admin.service.ts';
import { generatePassword } from '../auth/password.ts';
import { withoutTrackedOverrides } from './demo-cycles.ts';
import { generateDemoPlan } from './demo-plan.ts';

/** The demo team: one person per role. */
export const DEMO_USERS: { role: Role; name: string; email: string }[] = [
  { role: 'viewer', name: 'Victor Lind', email: 'viewer@demo.accord.test' },
  { role: 'commenter', name: 'Camille Martin', email: 'commenter@demo.accord.test' },
  { role: 'sales', name: 'Sofia Alvarez', email: 'sales@demo.accord.test' },
  { role: 'operations', name: 'Oskar Berg', email: 'operations@demo.accord.test' },
  { role: 'finance', name: 'Fiona Chen', email: 'finance@demo.accord.test' },
  { role: 'leader', name: 'Leila Haddad', email: 'leader@demo.accord.test' },
  { role: 'admin', name: 'Adam Novak', email: 'admin@demo.accord.test' },
];

/** The fixed password of every demo user, only with the explicit demo flag. */
export const DEMO_PASSWORD = 'demo';

/** The month after `now`: the next S&OP cycle plans from there. */
export function nextMonth(now: Date): Month {
  const current = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  return addMonths(current, 1);
}

/**
 * Creates the demo workspace, its team and its plan as it was before the team's tracked cycles,
 * which `seedDemoGovernance` then replays. With `fixedPassword` every user's password is `demo`;
 * otherwise each gets a random one, returned to the caller and nowhere logged.
 */
export async function seedDemo(
  admin: AdminService,
  options: { fixedPassword: boolean; now: Date },
): Promise<{
  workspaceId: string;
  planId: string;
  horizonStart: string;
  credentials: { email: string; role: Role; password: string }[];
}> {
  const workspace = await admin.createWorkspace('seed', 'Alpenquell Beverages (demo)');
  const credentials = [];
  for (const person of DEMO_USERS) {
    const password = options.fixedPassword ? DEMO_PASSWORD : generatePassword();
    await admin.createUser('seed', { email: person.email, name: person.name, password });
    await admin.setRole('seed', workspace.id, person.email, person.role);
    credentials.push({ email: person.email, role: person.role, password });
  }
  const horizonStart = nextMonth(options.now);
  const plan = await admin.createPlan('seed', workspace.id, withoutTrackedOverrides(generateDemoPlan(horizonStart)));
  return { workspaceId: workspace.id, planId: plan.id, horizonStart, credentials };
}
