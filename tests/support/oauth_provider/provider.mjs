// A real OAuth 2.0 / OpenID Connect provider on loopback for the sign-in tests: oidc-provider,
// the certified implementation, configured as Microsoft 365 is for a desktop app: a public
// client with PKCE, a loopback redirect on any port (RFC 8252), the device-code flow (RFC 8628),
// refresh tokens that rotate, revocation, and introspection for the test mail servers, which
// check every XOAUTH2 token here as Exchange Online checks its own.
//
// Its login page takes any account name with any password (oidc-provider's development
// interactions): the account name becomes the token's subject, which the mail servers compare
// with the XOAUTH2 user.
//
// Prints "PORT <n>" once listening; stops when its standard input closes.

import http from 'node:http';
import Provider from 'oidc-provider';

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'aanmelder',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://localhost/'],
      response_types: ['code'],
      grant_types: [
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
      ],
    },
    {
      // The mail servers: they only ask whether a token is good.
      client_id: 'mailserver',
      client_secret: 'mailserver-secret',
      redirect_uris: [],
      response_types: [],
      grant_types: [],
    },
  ],
  scopes: ['openid', 'offline_access', 'smtp', 'imap'],
  claims: { openid: ['sub'] },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
  // A grant for the mail lasts until revoked, as at Microsoft 365, also without the
  // `prompt=consent` oidc-provider otherwise asks before it honours offline_access.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  cookies: { keys: ['aanmelder-test-only'] },
  ttl: {
    AccessToken: 3600,
    DeviceCode: 600,
    Interaction: 600,
    Grant: 86400,
    Session: 86400,
    RefreshToken: 86400,
  },
});
// Plain HTTP on loopback: the provider's cookies need no `secure` flag here.
provider.proxy = false;

server.on('request', provider.callback());
// The test reads the port and then closes the pipe; later output must not end the provider.
process.stdout.on('error', () => {});
process.stdout.write(`PORT ${port}\n`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
