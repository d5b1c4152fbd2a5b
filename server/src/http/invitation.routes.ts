import { Hono } from 'hono';
import { RegisterInvitationRequest, type InvitationInfo } from '@accord/protocol';
import type { Services } from '../services.ts';
import { isHttps, setSessionCookie } from '../auth/cookies.ts';
import { parseBody, requireAuth, type AppEnv } from './context.ts';

/**
 * The invitation link's page: what it invites to (anyone holding the link), accepting it signed in
 * with the invited address, or registering that address when it has no account yet.
 */
export function invitationRoutes(services: Services): Hono<AppEnv> {
  const { invitations, auth, config } = services;
  const routes = new Hono<AppEnv>();

  routes.get('/invitations/:token', async (c) => {
    const body: InvitationInfo = await invitations.info(c.req.param('token'));
    return c.json(body);
  });

  routes.post('/invitations/:token/accept', async (c) => {
    const { user } = requireAuth(c);
    await invitations.accept(c.req.param('token'), user);
    return c.json(await auth.me(user));
  });

  routes.post('/invitations/:token/register', async (c) => {
    const input = await parseBody(c, RegisterInvitationRequest);
    const { user, sessionToken } = await invitations.register(c.req.param('token'), input.name, input.password);
    setSessionCookie(c, sessionToken, isHttps(c, config.trustProxy));
    c.get('log').info({ userId: user.id }, 'registered from an invitation');
    return c.json(await auth.me(user), 201);
  });

  return routes;
}
