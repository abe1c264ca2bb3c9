// The operator console's three files, answered by the API function (docs/console.md): the page (an
// empty shell with the console's settings as JSON data, never executed), the script (./consoleClient.ts,
// served as its own source text: compiled with the rest of the runtime, so the function's package
// carries it and no bundler runs) and the style sheet. Every answer sets a strict Content-Security-
// Policy: scripts and styles from the API itself only (plus the certificate's one inline style sheet,
// allowed by its hash, for the certificate shown inside the console), requests to the API itself (and
// to the Cognito hosted UI's token endpoint when signing in there), no frame but the console's own
// certificate view, no form posting anywhere else.
import { createHash, randomBytes } from "node:crypto";
import { certificateCss } from "../../erasure/report/html";
import { consoleClient } from "./consoleClient";
import { consoleCss } from "./consoleStyle";
import { endStates, erasureStates } from "../../contracts/requests";

/** The Cognito hosted UI the console signs in with (authorization code with PKCE). */
export interface ConsoleSignIn {
  /** The hosted UI's base URL, e.g. `https://lethe-prod.auth.eu-west-1.amazoncognito.com`. */
  domain: string;
  /** The user pool's app client (public: no secret; code grant; callback `<api url>/console`). */
  clientId: string;
}

export const csrfCookieName = "lethe-console-csrf";
export const csrfHeaderName = "x-lethe-csrf";

const cssHash = (css: string) => `'sha256-${createHash("sha256").update(css).digest("base64")}'`;

/** The one Content-Security-Policy of every console answer. */
export function consoleCsp(signIn?: ConsoleSignIn): string {
  const connect = ["'self'", ...(signIn ? [new URL(signIn.domain).origin] : [])].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${cssHash(certificateCss)}`,
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "frame-src blob:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export function newCsrfToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The settings the script reads from the page (a JSON data block: CSP never runs it). */
export interface ConsoleSettings {
  csrf: string;
  signIn?: ConsoleSignIn;
}

export function consoleHtml(settings: ConsoleSettings): string {
  // The request states as runtime/contracts/requests.ts has them: the script (served as its own source
  // text, importing nothing) reads them from here rather than keeping a copy.
  const page = { ...settings, states: erasureStates, endStates };
  // JSON inside <script type="application/json">: `<` escaped so no value can close the element.
  const data = JSON.stringify(page).replace(/</g, "\\u003c");
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>Lethe console</title><link rel="stylesheet" href="console/app.css">` +
    `<script type="application/json" id="lethe-console-settings">${data}</script>` +
    `<script src="console/app.js" defer></script></head>` +
    `<body><a class="skip" href="#main">Skip to content</a>` +
    `<header class="top"><span class="brand">Lethe</span><nav aria-label="Console"><ul>` +
    `<li><a href="#/requests">Requests</a></li><li><a href="#/file">File a request</a></li>` +
    `<li><a href="#/batches">Batches</a></li><li><a href="#/operations">Operations</a></li>` +
    `</ul></nav></header><main id="main" tabindex="-1"><p>Loading…</p></main>` +
    `<noscript><p>The console needs JavaScript; the API and \`lethe\` work without it.</p></noscript>` +
    `</body></html>\n`
  );
}

/**
 * The script: the client function's own source, called once. A guard defines `__name`, which a
 * compiler that keeps function names (ts-node's transpiler does not; esbuild's keepNames does) may call.
 */
export function consoleScript(): string {
  return `"use strict";\nvar __name = globalThis.__name || function (f) { return f; };\n(${consoleClient.toString()})();\n`;
}

export function consoleStyle(): string {
  return consoleCss;
}

/** A cookie's value out of a Cookie header. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
