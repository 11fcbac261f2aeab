// A real OpenID provider on loopback for the `sasl oauth` end-to-end tests: the
// certified `oidc-provider` package with dynamic registration (RFC 7591), PKCE S256,
// the device grant (RFC 8628), revocation (RFC 7009), rotating refresh tokens and
// RFC 9068 JWT access tokens signed with a fresh ES256 key. See README.md.
//
//   node provider.mjs [--port N] [--audience AUD] [--access-ttl SECS]
//                     [--refresh-ttl SECS] [--no-registration] [--jwks-out PATH]
//                     [--tls-cert PEM --tls-key PEM] [--static-client ID]
//                     [--registration-token TOKEN]
//
// Prints one JSON line {"issuer","port","scope"} on stdout when listening, then runs
// until killed or until stdin reaches end of file. Everything else goes to stderr.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

// oidc-provider prints its development notices with console.info; stdout is reserved
// for the ready line.
console.log = console.error;
console.info = console.error;

function usage(message) {
  process.stderr.write(`provider.mjs: ${message}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      audience: { type: 'string', default: 'sasl-serve' },
      'access-ttl': { type: 'string', default: '300' },
      'refresh-ttl': { type: 'string', default: '86400' },
      'no-registration': { type: 'boolean', default: false },
      'jwks-out': { type: 'string' },
      'tls-cert': { type: 'string' },
      'static-client': { type: 'string' },
      'registration-token': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    strict: true,
  }));
} catch (err) {
  usage(err.message);
}

function integer(name, min) {
  const text = args[name];
  if (!/^\d+$/u.test(text) || Number(text) < min) usage(`--${name} wants an integer >= ${min}, got ${text}`);
  return Number(text);
}

const port = integer('port', 0);
if (port > 65535) usage(`--port out of range: ${port}`);
const accessTtl = integer('access-ttl', 1);
const refreshTtl = integer('refresh-ttl', 1);
const audience = args.audience;
if (!audience) usage('--audience must not be empty');

// The resource indicator (RFC 8707) the access tokens are for. Clients need not send
// `resource`: it is the default resource of every authorization and device request.
const RESOURCE = `urn:sasl-tool:resource:${encodeURIComponent(audience)}`;
// The resource server's own scope, granted into the JWT access token's `scope` claim.
const RESOURCE_SCOPE = 'mail';
// What a client asks for: an ID token with the e-mail address, a refresh token
// (offline_access) and an access token for the resource.
const CLIENT_SCOPE = `openid email offline_access ${RESOURCE_SCOPE}`;

// A fresh ES256 key each run: the token signing key, and the only key of the provider.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const kid = randomUUID();
const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' };
const { d: _d, ...publicJwk } = privateJwk;

// With --tls-cert/--tls-key the provider speaks https (as a real one must: the
// openid-configuration a mail server names is https only); else plain http.
const tls = args['tls-cert'] && args['tls-key']
  ? { cert: readFileSync(args['tls-cert']), key: readFileSync(args['tls-key']) }
  : null;
if (Boolean(args['tls-cert']) !== Boolean(args['tls-key'])) usage('--tls-cert and --tls-key go together');
const server = tls ? createHttpsServer(tls) : createServer();
server.listen(port, '127.0.0.1');
await new Promise((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const actualPort = server.address().port;
const issuer = `${tls ? 'https' : 'http'}://127.0.0.1:${actualPort}`;

// --static-client ID: a public native client known in advance (what an autoconfig
// <clientID> or a --client-id names), with a loopback redirect on any port.
const staticClients = args['static-client']
  ? [{
    client_id: args['static-client'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1/oauth/callback'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
  }]
  : [];

const provider = new Provider(issuer, {
  jwks: { keys: [privateJwk] },
  clients: staticClients,
  cookies: { keys: ['sasl-tool-oidc-test-cookie-key-1', 'sasl-tool-oidc-test-cookie-key-2'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true };
      },
    };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'email'],
  clientDefaults: {
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'ES256',
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
  },
  pkce: {
    required: () => true,
  },
  features: {
    devInteractions: { enabled: true },
    // --registration-token T: registration needs that initial access token (RFC 7591
    // §3), so an unauthenticated client is refused.
    registration: args['registration-token']
      ? { enabled: !args['no-registration'], initialAccessToken: args['registration-token'] }
      : { enabled: !args['no-registration'] },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: RESOURCE_SCOPE,
          audience,
          accessTokenTTL: accessTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  // oidc-provider keeps offline_access in an authorization request only with
  // prompt=consent (OpenID Connect Core 1.0 section 11) and drops it silently
  // otherwise. The test provider is lenient: every client registered with the
  // refresh_token grant gets a refresh token, by the code and the device flow alike,
  // whether or not offline_access survived, and no token dies with the login session.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  rotateRefreshToken: true,
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    DeviceCode: 600,
    IdToken: 3600,
    Interaction: 3600,
    // A refresh token lives refreshTtl seconds from its own issue: rotation restarts
    // the clock (oidc-provider rotates into a fresh token with the same grant).
    RefreshToken: refreshTtl,
    Grant: Math.max(refreshTtl * 10, 14 * 24 * 3600),
    Session: 14 * 24 * 3600,
  },
});
// http on loopback: oidc-provider runs as-is, only cookies are not `secure`.
provider.proxy = false;

provider.on('server_error', (_ctx, err) => console.error('server_error', err));
provider.on('grant.error', (_ctx, err) => console.error('grant.error', err.message, err.error_description ?? ''));

server.on('request', provider.callback());

if (args['jwks-out']) {
  writeFileSync(args['jwks-out'], `${JSON.stringify({ keys: [publicJwk] })}\n`);
}

process.stdout.write(`${JSON.stringify({ issuer, port: actualPort, scope: CLIENT_SCOPE })}\n`);

// Exit when the parent goes away (stdin closes) or on a signal.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
