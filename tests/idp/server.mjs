// A small OpenID Connect identity provider for the portal's tests and the local demo.
//
// Built on `oidc-provider`, with its own login form (no development interactions, so a
// wrong password is refused) and no consent screen for the portal, a first-party client.
// Everything is configured through environment variables; see README.md beside this file.
//
// The users file is read again at every login and every account lookup, so a test can
// change someone's claims between two sign-ins by rewriting the file.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { errors, interactionPolicy } from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));

function envList(name, fallback) {
  const raw = process.env[name] ?? fallback;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function envFlag(name) {
  return ['1', 'true', 'yes', 'on'].includes((process.env[name] || '').trim().toLowerCase());
}

const HOST = process.env.IDP_HOST || '127.0.0.1';
const PORT = Number.parseInt(process.env.IDP_PORT || '9000', 10);
const ISSUER = `http://${HOST}:${PORT}`;
const CLIENT_ID = process.env.IDP_CLIENT_ID || 'portal-demo';
const CLIENT_SECRET = process.env.IDP_CLIENT_SECRET || 'portal-demo-secret';
const REDIRECT_URIS = envList(
  'IDP_REDIRECT_URIS',
  'http://127.0.0.1:8000/accounts/oidc/sso/login/callback/,'
    + 'http://localhost:8000/accounts/oidc/sso/login/callback/',
);
const POST_LOGOUT_REDIRECT_URIS = envList('IDP_POST_LOGOUT_REDIRECT_URIS', '');
const USERS_FILE = path.resolve(process.env.IDP_USERS_FILE || path.join(here, 'demo-users.json'));
const SHOW_USERS = envFlag('IDP_SHOW_USERS');
const TEST_HOOKS = envFlag('IDP_TEST_HOOKS');
// By default every authorization request asks for the password again, so a demo can switch
// between people and a test always meets the form. IDP_REMEMBER_SESSION=1 keeps the IdP
// session like a real company SSO would.
const REMEMBER_SESSION = envFlag('IDP_REMEMBER_SESSION');

// ---------------------------------------------------------------------------------------
// Users

function loadUsers() {
  const users = JSON.parse(readFileSync(USERS_FILE, 'utf8'));
  if (!users || typeof users !== 'object' || Array.isArray(users)) {
    throw new Error(`${USERS_FILE} must hold a JSON object of login name -> user`);
  }
  return users;
}

function findUserBySubject(sub) {
  for (const user of Object.values(loadUsers())) {
    if (user?.claims?.sub === sub) {
      return user;
    }
  }
  return undefined;
}

async function findAccount(ctx, sub) {
  const user = findUserBySubject(sub);
  if (!user) {
    return undefined;
  }
  return {
    accountId: sub,
    // The provider filters these by the scopes and claims that were granted.
    async claims() {
      const current = findUserBySubject(sub) || user;
      return { ...current.claims, sub };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Provider

const { Check, base } = interactionPolicy;
const policy = base();
if (!REMEMBER_SESSION) {
  policy.get('login').checks.add(
    new Check('fresh_login', 'this IdP asks for the password at every sign-in', (ctx) => (
      ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT
    )),
  );
}

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: REDIRECT_URIS,
      post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  responseTypes: ['code'],
  pkce: { required: () => true }, // oidc-provider 9 accepts S256 only
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'employee_id', 'department', 'active'],
    groups: ['groups'],
  },
  findAccount,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: {
    policy,
    url(ctx, interaction) {
      return `/interaction/${interaction.uid}`;
    },
  },
  // The portal is first-party: grant whatever it asks for instead of showing a consent page.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== oidc.session.accountId) {
      grant = new oidc.provider.Grant({
        clientId: oidc.client.clientId,
        accountId: oidc.session.accountId,
      });
    }
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    const claims = [...oidc.requestParamClaims];
    if (claims.length) {
      grant.addOIDCClaims(claims);
    }
    await grant.save();
    return grant;
  },
  cookies: {
    // Static keys are fine for a local IdP; they sign its own session cookies only.
    keys: ['portal-test-idp-cookie-key-1', 'portal-test-idp-cookie-key-2'],
  },
  ttl: {
    AccessToken: 10 * 60,
    AuthorizationCode: 60,
    IdToken: 10 * 60,
    Interaction: 10 * 60,
    Session: 60 * 60,
    Grant: 60 * 60,
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page(
      'Sign-in error',
      `<h1>Sign-in error</h1>${Object.entries(out)
        .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</p>`)
        .join('')}`,
    );
  },
};

const provider = new Provider(ISSUER, configuration);

// ---------------------------------------------------------------------------------------
// Pages

function escapeHtml(value) {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
  main { max-width: 24rem; margin: 4rem auto; background: #fff; padding: 2rem;
         border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.4rem; margin-top: 0; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font-size: 1rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }
  .error { color: #a40000; background: #fdecec; padding: .5rem .75rem; border-radius: 4px; }
  .hint { color: #555; font-size: .9rem; margin-top: 1.5rem; }
</style>
</head>
<body><main>${body}</main></body>
</html>
`;
}

function loginPage(uid, { error = '', username = '' } = {}) {
  let usersHint = '';
  if (SHOW_USERS) {
    let names = [];
    try {
      names = Object.keys(loadUsers());
    } catch (err) {
      names = [];
    }
    usersHint = `<div class="hint"><p>Demo accounts (password <code>demo</code>):</p><ul>${names
      .map((name) => `<li><code>${escapeHtml(name)}</code></li>`)
      .join('')}</ul></div>`;
  }
  return page(
    'Demo company SSO',
    `<h1>Demo company SSO</h1>
<p>Sign in with your company account.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
  <label for="username">User name</label>
  <input id="username" name="username" type="text" required autofocus value="${escapeHtml(username)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>
${usersHint}`,
  );
}

function send(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

function sendJson(res, status, data) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(data));
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 64 * 1024) {
        reject(new Error('form too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------
// Interactions (our login form) and test hooks; everything else goes to the provider.

const authorizations = [];
const providerCallback = provider.callback();

async function showInteraction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    send(res, 400, page('Sign-in error', '<h1>Sign-in error</h1><p>This sign-in has expired.</p>'));
    return;
  }
  if (details.prompt.name === 'consent') {
    // Not expected (loadExistingGrant grants everything), but never show a dead end.
    await finishConsent(req, res, details);
    return;
  }
  send(res, 200, loginPage(uid));
}

async function finishConsent(req, res, details) {
  const { prompt, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) {
    grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  }
  if (prompt.details.missingOIDCClaims) {
    grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, {
    mergeWithLastSubmission: true,
  });
}

async function submitLogin(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid || details.prompt.name !== 'login') {
    send(res, 400, page('Sign-in error', '<h1>Sign-in error</h1><p>This sign-in has expired.</p>'));
    return;
  }
  const form = await readForm(req);
  const username = (form.get('username') || '').trim();
  const password = form.get('password') || '';
  const user = Object.hasOwn(loadUsers(), username) ? loadUsers()[username] : undefined;
  if (!user || typeof user.password !== 'string' || user.password !== password || !user.claims?.sub) {
    console.log(`LOGIN REFUSED ${JSON.stringify(username)}`);
    send(res, 401, loginPage(uid, { error: 'Wrong user name or password', username }));
    return;
  }
  console.log(`LOGIN ${JSON.stringify(username)} sub=${JSON.stringify(user.claims.sub)}`);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.claims.sub, remember: REMEMBER_SESSION } },
    { mergeWithLastSubmission: false },
  );
}

async function handle(req, res) {
  const url = new URL(req.url, ISSUER);

  if (url.pathname === '/auth' && req.method === 'GET') {
    const query = Object.fromEntries(url.searchParams);
    authorizations.push(query);
    if (authorizations.length > 100) {
      authorizations.shift();
    }
    console.log(`AUTHORIZATION ${url.search}`);
  }

  if (TEST_HOOKS && req.method === 'GET' && url.pathname.startsWith('/__test__/')) {
    if (url.pathname === '/__test__/last-authorization') {
      sendJson(res, authorizations.length ? 200 : 404, authorizations.at(-1) ?? null);
      return;
    }
    if (url.pathname === '/__test__/authorizations') {
      sendJson(res, 200, authorizations);
      return;
    }
  }

  const interaction = url.pathname.match(/^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/);
  if (interaction) {
    const [, uid, login] = interaction;
    try {
      if (!login && req.method === 'GET') {
        await showInteraction(req, res, uid);
        return;
      }
      if (login && req.method === 'POST') {
        await submitLogin(req, res, uid);
        return;
      }
      send(res, 405, page('Not allowed', '<h1>Method not allowed</h1>'));
    } catch (err) {
      const expired = err instanceof errors.SessionNotFound;
      console.log(`INTERACTION ERROR ${err.name}: ${err.message}`);
      send(
        res,
        expired ? 400 : 500,
        page(
          'Sign-in error',
          `<h1>Sign-in error</h1><p>${
            expired ? 'This sign-in has expired. Start again from the application.' : 'Something went wrong.'
          }</p>`,
        ),
      );
    }
    return;
  }

  providerCallback(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) {
      send(res, 500, page('Error', '<h1>Something went wrong</h1>'));
    } else {
      res.end();
    }
  });
});

function shutdown(signal) {
  console.log(`IDP STOPPING (${signal})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

// Fail at start, not at the first login, if the users file is missing or malformed.
loadUsers();

server.listen(PORT, HOST, () => {
  console.log(`IDP READY ${ISSUER}`);
});
