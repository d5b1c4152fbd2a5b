import { ErrorCode } from '@accord/protocol';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { ensureDataDir, migrateToLatest, openStore } from './db/database.ts';
import { createLogger } from './logger.ts';
import { createServices } from './services.ts';
import { generatePassword } from './auth/password.ts';
import { HttpError } from './errors.ts';
import { generateDemoPlan } from './seed/demo-plan.ts';
import { nextMonth } from './seed/demo.ts';
import { backupDatabase, postgresBackupRefusal, restoreDatabase } from './admin/backup.ts';
import { parsePlanData } from './admin/plan-data-schema.ts';
import { runForecastCommand } from './forecast/forecast-command.ts';

const USAGE = `Usage: pnpm accord <command> [options]   (DATABASE_URL or DATA_DIR selects the database, as for the server)

  create-user --email E --name N [--password P]   create a user (a random password is printed if none is given)
  reset-password <email> [--password P]           set a new password and sign the user out everywhere
  create-workspace --name N                       create a workspace and print its id
  set-role --workspace W --email E --role R       add a member or change their role
  remove-member --workspace W --email E           remove a member from a workspace
  create-demo-plan --workspace W                  add a copy of the demo plan to a workspace
  create-plan --workspace W --from plan.json      create a plan from plain plan data (JSON, as readPlanData gives)
  create-token --email E --name N                 issue a personal API token for a user (printed once)
  list-tokens --email E                           list a user's tokens
  revoke-token --email E --id T                   revoke a token; sockets using it close within seconds
  verify-snapshots                                recompute the snapshot hash chain; exit 1 if anything was altered
  backup <file>                                   online backup of the SQLite database (safe while the server runs;
                                                  on PostgreSQL use pg_dump)
  restore <file>                                  replace the SQLite database with a backup (stop the server first;
                                                  on PostgreSQL use pg_restore)
  forecast <train.csv> --horizon H --out F [--season-length auto|M] [--bucket month|week|…] [--method auto]
                                                  forecast every series of an M4-layout CSV (id,v1,v2,…); the season
                                                  length is auto by default (12 for months, 52 for weeks)
  help                                            this text`;

/** `pnpm accord <command>`: administration from the command line, on the same database as the server. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  // Batch forecasting needs no database.
  if (command === 'forecast') return runForecastCommand(rest);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      password: { type: 'string' },
      workspace: { type: 'string' },
      role: { type: 'string' },
      id: { type: 'string' },
      from: { type: 'string' },
    },
  });
  const config = loadConfig(process.env, []);
  if (config.databaseUrl && (command === 'backup' || command === 'restore')) throw postgresBackupRefusal(command);
  if (!config.databaseUrl) ensureDataDir(config.dataDir);
  // Restore swaps the database file, so it must run before this process opens it.
  if (command === 'restore') {
    if (!positionals[0]) throw new HttpError(400, ErrorCode.badRequest, 'restore needs the backup file: pnpm accord restore <file>.');
    const { keptAs } = restoreDatabase(config.databaseFile, positionals[0]);
    console.log(`Restored ${config.databaseFile} from ${positionals[0]}.${keptAs ? ` The previous database is kept as ${keptAs}.` : ''}`);
    return 0;
  }
  const db = await openStore(config);
  try {
    await migrateToLatest(db);
    const services = createServices(config, db, createLogger('warn'));
    const admin = services.admin;
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    const need = (value: string | undefined, flag: string): string => {
      if (!value) throw new HttpError(400, ErrorCode.badRequest, `${command} needs --${flag}.`);
      return value;
    };
    switch (command) {
      case 'create-user': {
        const password = values.password ?? generatePassword();
        const user = await admin.createUser(actor, { email: need(values.email, 'email'), name: need(values.name, 'name'), password });
        console.log(`Created user ${user.email} (${user.id}).${values.password ? '' : ` Password: ${password}`}`);
        return 0;
      }
      case 'reset-password': {
        const email = need(positionals[0] ?? values.email, 'email');
        const password = values.password ?? generatePassword();
        await admin.resetPassword(actor, email, password);
        console.log(`Password of ${email} reset; every session of theirs ended.${values.password ? '' : ` New password: ${password}`}`);
        return 0;
      }
      case 'create-workspace': {
        const workspace = await admin.createWorkspace(actor, need(values.name, 'name'));
        console.log(workspace.id);
        return 0;
      }
      case 'set-role': {
        await admin.setRole(actor, need(values.workspace, 'workspace'), need(values.email, 'email'), need(values.role, 'role'));
        console.log(`${values.email} is now ${values.role} in workspace ${values.workspace}.`);
        return 0;
      }
      case 'remove-member': {
        await admin.removeMember(actor, need(values.workspace, 'workspace'), need(values.email, 'email'));
        console.log(`${values.email} removed from workspace ${values.workspace}.`);
        return 0;
      }
      case 'create-token': {
        const user = await admin.getUserByEmail(need(values.email, 'email'));
        const { token, view } = await services.tokens.create(user.id, need(values.name, 'name'));
        await services.users.insertAudit({
          actor,
          action: 'token.create',
          target: user.id,
          details: { tokenId: view.id },
          created_at: new Date().toISOString(),
        });
        console.log(token);
        return 0;
      }
      case 'list-tokens': {
        const user = await admin.getUserByEmail(need(values.email, 'email'));
        for (const t of await services.tokens.list(user.id)) {
          console.log(`${t.id}  ${t.name}  created ${t.createdAt}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}`);
        }
        return 0;
      }
      case 'revoke-token': {
        const user = await admin.getUserByEmail(need(values.email, 'email'));
        if (!(await services.tokens.revoke(user.id, need(values.id, 'id'))))
          throw new HttpError(404, ErrorCode.notFound, `No active token ${values.id} for ${values.email}.`);
        await services.users.insertAudit({
          actor,
          action: 'token.revoke',
          target: user.id,
          details: { tokenId: values.id },
          created_at: new Date().toISOString(),
        });
        console.log(`Token ${values.id} revoked.`);
        return 0;
      }
      case 'verify-snapshots': {
        const report = await services.snapshots.verifyChain();
        for (const p of report.problems) console.error(`snapshot ${p.id} (#${p.chainIndex}): ${p.reason}`);
        console.log(
          report.ok
            ? `All ${report.checked} snapshots verified: the chain is intact.`
            : `${report.problems.length} problem(s) in ${report.checked} snapshots.`,
        );
        return report.ok ? 0 : 1;
      }
      case 'backup': {
        const { bytes } = await backupDatabase(config.databaseFile, need(positionals[0], 'file (backup <file>)'));
        console.log(`Backed up ${config.databaseFile} to ${positionals[0]} (${bytes} bytes).`);
        return 0;
      }
      case 'create-plan': {
        const file = need(values.from, 'from');
        let data: unknown;
        try {
          data = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (e: unknown) {
          throw new HttpError(
            400,
            ErrorCode.badRequest,
            `Cannot read plan data from ${file}: ${e instanceof Error ? e.message : String(e)}.`,
          );
        }
        const plan = await admin.createPlan(actor, need(values.workspace, 'workspace'), parsePlanData(data));
        console.log(plan.id);
        return 0;
      }
      case 'create-demo-plan': {
        const plan = await admin.createPlan(actor, need(values.workspace, 'workspace'), generateDemoPlan(nextMonth(new Date())));
        console.log(plan.id);
        return 0;
      }
      default:
        console.error(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.destroy();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e: unknown) {
  if (
    e instanceof HttpError ||
    e instanceof ConfigError ||
    (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
  ) {
    console.error(`accord: ${e.message}`);
    process.exitCode = 2;
  } else throw e;
}
