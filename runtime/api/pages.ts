// The HTML pages an approver sees after opening a link from the notification: the confirmation (the
// plan and a form; opening it decides nothing, since mail scanners open links too), the outcome, and
// one page for each way a link can be refused. Every value is escaped.

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function page(title: string, body: string): string {
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}` +
    `table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}</style>` +
    `</head><body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`
  );
}

export interface ConfirmationPage {
  batchId: string;
  decision: "approve" | "reject";
  plan: Record<string, string | number | boolean>;
  expiresAt: string;
  /** Where the form posts: the link itself. */
  action: string;
}

export function confirmationPage(c: ConfirmationPage): string {
  const verb = c.decision === "approve" ? "Approve" : "Reject";
  const rows = Object.entries(c.plan)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join("");
  const reason =
    c.decision === "reject"
      ? `<p><label>Reason (required)<br><textarea name="reason" required maxlength="1000" rows="3" cols="50"></textarea></label></p>`
      : `<p><label>Note (optional)<br><input name="reason" maxlength="1000" size="50"></label></p>`;
  return page(
    `${verb} erasure batch ${c.batchId}?`,
    `<p>Erasure batch <code>${escapeHtml(c.batchId)}</code> waits for a decision. Nothing has been decided yet: ` +
      `only the button below takes the decision. This link expires at ${escapeHtml(c.expiresAt)} and works once.</p>` +
      `<h2>The plan</h2><table>${rows || "<tr><td>(no figures recorded)</td></tr>"}</table>` +
      `<form method="post" action="${escapeHtml(c.action)}">${reason}` +
      `<p><label>Your name<br><input name="by" maxlength="256" size="50"></label></p>` +
      `<p><button type="submit">${verb} batch ${escapeHtml(c.batchId)}</button></p></form>`,
  );
}

export function decidedPage(batchId: string, decision: "approve" | "reject", message: string): string {
  return page(
    decision === "approve" ? `Batch ${batchId} approved` : `Batch ${batchId} rejected`,
    `<p>${escapeHtml(message)}</p><p>This link cannot be used again.</p>`,
  );
}

/** A refused link: why, in words, and that nothing changed. */
export function refusedPage(title: string, message: string): string {
  return page(title, `<p>${escapeHtml(message)}</p><p>Nothing was changed.</p>`);
}
