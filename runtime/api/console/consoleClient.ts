/// <reference lib="dom" />
/// <reference lib="dom.asynciterable" />
// The operator console's script, as the browser runs it (served at /console/app.js by
// ./consolePage.ts as this function's own source text). It must stand alone: no import, no
// reference to anything outside the function, since only its text reaches the browser. It calls the
// API's JSON routes (relative URLs: the page is served under the stage, e.g. /v1/console), renders
// every value with textContent (never as markup), sends the CSRF token with every POST, and keeps
// customer IDs only in the filing form until the request is filed: no page renders one afterwards.

export function consoleClient(): void {
  type Json = Record<string, unknown>;
  interface SignIn {
    domain: string;
    clientId: string;
  }
  const settings = JSON.parse(document.getElementById("lethe-console-settings")!.textContent ?? "{}") as {
    csrf: string;
    signIn?: SignIn;
    /** Every request state, and those a request ends in (runtime/contracts/requests.ts, via the page). */
    states: string[];
    endStates: string[];
  };
  const main = document.getElementById("main") as HTMLElement;
  const tokenKey = "lethe-console-id-token";
  const { states, endStates } = settings;
  let generation = 0;
  const objectUrls: string[] = [];

  type Child = Node | string | number | false | null | undefined;
  function h(tag: string, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === false) continue;
      el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      el.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    }
    return el;
  }

  function stateBadge(state: string): HTMLElement {
    return h("span", { class: `state ${state}` }, state.replace(/_/g, " ").toLowerCase());
  }

  function when(iso: unknown): string {
    if (typeof iso !== "string" || iso === "") return "—";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }

  function bytes(n: unknown): string {
    if (typeof n !== "number") return String(n ?? "—");
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let v = n;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
  }

  function daysLeftOf(deadline: string, state: string): { text: string; overdue: boolean } {
    if (endStates.includes(state)) return { text: "—", overdue: false };
    const days = Math.floor((Date.parse(deadline) - Date.now()) / 86_400_000);
    return days < 0
      ? { text: `overdue by ${-days} day${days === -1 ? "" : "s"}`, overdue: true }
      : { text: `${days} day${days === 1 ? "" : "s"}`, overdue: false };
  }

  function base64url(data: Uint8Array): string {
    let s = "";
    for (const b of data) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomText(): string {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  function tokenUsable(token: string | null): boolean {
    if (!token) return false;
    try {
      const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))) as {
        exp?: number;
      };
      return typeof claims.exp === "number" && claims.exp * 1000 > Date.now() + 30_000;
    } catch {
      return false;
    }
  }

  /** Cognito hosted UI, authorization code with PKCE; false while the browser is sent there. */
  async function signedIn(): Promise<boolean> {
    const signIn = settings.signIn;
    if (!signIn) return true;
    if (tokenUsable(sessionStorage.getItem(tokenKey))) return true;
    const redirectUri = location.origin + location.pathname;
    const query = new URLSearchParams(location.search);
    const code = query.get("code");
    const verifier = sessionStorage.getItem("lethe-pkce-verifier");
    if (code && verifier && query.get("state") === sessionStorage.getItem("lethe-pkce-state")) {
      const r = await fetch(`${signIn.domain}/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: signIn.clientId,
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        }).toString(),
      });
      const tokens = (await r.json()) as { id_token?: string };
      sessionStorage.removeItem("lethe-pkce-verifier");
      if (r.ok && tokens.id_token) {
        sessionStorage.setItem(tokenKey, tokens.id_token);
        history.replaceState(null, "", location.pathname + (sessionStorage.getItem("lethe-pkce-hash") ?? ""));
        return true;
      }
    }
    const newVerifier = randomText();
    const state = randomText();
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(newVerifier));
    sessionStorage.setItem("lethe-pkce-verifier", newVerifier);
    sessionStorage.setItem("lethe-pkce-state", state);
    sessionStorage.setItem("lethe-pkce-hash", location.hash);
    const to = new URLSearchParams({
      response_type: "code",
      client_id: signIn.clientId,
      redirect_uri: redirectUri,
      scope: "openid",
      state,
      code_challenge_method: "S256",
      code_challenge: base64url(new Uint8Array(digest)),
    });
    location.assign(`${signIn.domain}/oauth2/authorize?${to.toString()}`);
    return false;
  }

  interface Reply {
    status: number;
    body: Json;
    text: string;
  }

  async function api(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ) {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    const token = sessionStorage.getItem(tokenKey);
    if (settings.signIn && token) headers.authorization = token;
    if (method === "POST") {
      headers["x-lethe-csrf"] = settings.csrf;
      headers["content-type"] = "application/json";
    }
    const r = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (r.status === 401 && settings.signIn) {
      sessionStorage.removeItem(tokenKey);
      await signedIn();
    }
    const text = await r.text();
    let parsed: Json = {};
    try {
      parsed = (r.headers.get("content-type") ?? "").includes("json") ? (JSON.parse(text) as Json) : {};
    } catch {
      parsed = {};
    }
    return { status: r.status, body: parsed, text } as Reply;
  }

  function failure(r: Reply): HTMLElement {
    const message = typeof r.body.message === "string" ? r.body.message : `the API answered ${r.status}`;
    return h("p", { class: "error", role: "alert" }, message);
  }

  function table(
    head: string[],
    rows: Child[][],
    numeric: number[] = [],
    label = head.join(", "),
  ): HTMLElement {
    // A region of its own that scrolls sideways on a narrow screen, reachable by keyboard.
    return h(
      "div",
      { class: "scroll", tabindex: "0", role: "region", "aria-label": label },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...head.map((c, i) =>
              h("th", { scope: "col", class: numeric.includes(i) ? "num" : undefined }, c),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          ...rows.map((r) =>
            h("tr", {}, ...r.map((c, i) => h("td", { class: numeric.includes(i) ? "num" : undefined }, c))),
          ),
        ),
      ),
    );
  }

  function facts(entries: [string, Child][]): HTMLElement {
    const dl = h("dl", { class: "facts" });
    for (const [k, v] of entries)
      if (v !== undefined && v !== null && v !== false) dl.append(h("dt", {}, k), h("dd", {}, v));
    return dl;
  }

  function show(title: string, ...content: Child[]): void {
    document.title = `${title} · Lethe console`;
    main.replaceChildren(
      h("h1", {}, title),
      ...content
        .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
        .map((c) => (typeof c === "number" ? String(c) : c)),
    );
  }

  function hashQuery(): URLSearchParams {
    const at = location.hash.indexOf("?");
    return new URLSearchParams(at >= 0 ? location.hash.slice(at + 1) : "");
  }

  // ---- Requests -------------------------------------------------------------------------------
  async function requestsPage(gen: number): Promise<void> {
    const q = hashQuery();
    const state = q.get("state") ?? "open";
    const cursor = q.get("cursor") ?? "";
    const previous = q.get("prev") ?? "";
    const select = h("select", { id: "state-filter", name: "state" }) as HTMLSelectElement;
    for (const s of ["open", ...states])
      select.append(h("option", { value: s, selected: s === state }, s === "open" ? "open (not ended)" : s));
    select.addEventListener(
      "change",
      () => (location.hash = `#/requests?state=${encodeURIComponent(select.value)}`),
    );
    const r = await api(
      "GET",
      `requests?state=${encodeURIComponent(state)}&limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    if (gen !== generation) return;
    const filter = h("p", {}, h("label", { for: "state-filter" }, "State"), select);
    if (r.status !== 200) return show("Requests", filter, failure(r));
    const items = (r.body.requests as Json[]).map((it) => ({
      it,
      deadline: String(it.deadline),
      left: daysLeftOf(String(it.deadline), String(it.state)),
    }));
    // Overdue first, then the earliest deadline.
    items.sort(
      (a, b) => Number(b.left.overdue) - Number(a.left.overdue) || a.deadline.localeCompare(b.deadline),
    );
    const rows = items.map(({ it, left }) => [
      h("a", { href: `#/request/${encodeURIComponent(String(it.requestId))}` }, String(it.requestId)),
      stateBadge(String(it.state)),
      when(it.receivedAt),
      when(it.deadline),
      left.overdue ? h("span", { class: "overdue" }, left.text) : left.text,
      String(it.subjects ?? "—"),
    ]);
    const pager = h("nav", { class: "pager", "aria-label": "Pages" });
    if (cursor)
      pager.append(
        h(
          "a",
          {
            href: `#/requests?state=${encodeURIComponent(state)}${previous ? `&cursor=${encodeURIComponent(previous)}` : ""}`,
          },
          "← First page",
        ),
      );
    if (typeof r.body.nextCursor === "string")
      pager.append(
        h(
          "a",
          {
            href: `#/requests?state=${encodeURIComponent(state)}&cursor=${encodeURIComponent(r.body.nextCursor)}`,
          },
          "Next page →",
        ),
      );
    show(
      "Requests",
      filter,
      rows.length
        ? table(["Request", "State", "Received", "Deadline", "Days left", "Subjects"], rows, [5])
        : h("p", {}, "No requests in this state."),
      pager,
    );
  }

  // ---- One request ----------------------------------------------------------------------------
  function timeline(batch: Json): HTMLElement {
    const steps = Object.entries((batch.steps ?? {}) as Record<string, Json>).sort(([, a], [, b]) =>
      String(a.startedAt).localeCompare(String(b.startedAt)),
    );
    if (steps.length === 0) return h("p", {}, "No step has started yet.");
    return table(
      ["Step", "Started", "Ended", "Counts"],
      steps.map(([name, s]) => [
        name,
        when(s.startedAt),
        s.endedAt ? when(s.endedAt) : "running",
        Object.entries((s.counts ?? {}) as Record<string, number>)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "—",
      ]),
    );
  }

  function targetsTable(report: Json): HTMLElement {
    const targets = (report.targets ?? []) as Json[];
    if (targets.length === 0) return h("p", {}, "No data mapper or store was searched.");
    return table(
      [
        "Mapper or store",
        "Kind",
        "Outcome",
        "Objects found",
        "Objects rewritten",
        "Versions deleted",
        "Rows removed",
        "Scanned",
      ],
      targets.map((t) => [
        String(t.name),
        String(t.kind),
        String(t.outcome),
        String(t.objectsPlanned ?? "—"),
        String(t.objectsRewritten ?? "—"),
        String(t.versionsDeleted ?? "—"),
        String(t.rowsRemoved ?? 0),
        t.bytesScanned === undefined ? "—" : bytes(t.bytesScanned),
      ]),
      [3, 4, 5, 6, 7],
    );
  }

  async function certificateSection(id: string, gen: number): Promise<HTMLElement> {
    const section = h(
      "section",
      { "aria-labelledby": "certificate-heading" },
      h("h2", { id: "certificate-heading" }, "Certificate of erasure"),
    );
    const [report, page] = await Promise.all([
      api("GET", `requests/${encodeURIComponent(id)}/report`),
      fetch(`requests/${encodeURIComponent(id)}/certificate`, {
        headers: settings.signIn ? { authorization: sessionStorage.getItem(tokenKey) ?? "" } : {},
      }).then(async (r) => ({ ok: r.ok, text: await r.text() })),
    ]);
    if (gen !== generation) return section;
    if (report.status !== 200 || !page.ok) {
      section.append(
        report.status !== 200
          ? failure(report)
          : h("p", { class: "error" }, "The certificate could not be read."),
      );
      return section;
    }
    const check = report.body.signature as Json;
    section.append(
      h(
        "p",
        { class: check.valid ? "ok" : "error", id: "signature-check" },
        check.valid ? "Signature verified: " : "Signature NOT verified: ",
        String(check.message),
      ),
      h("h3", {}, "Per data mapper and store"),
      targetsTable(report.body.report as Json),
    );
    const htmlUrl = URL.createObjectURL(new Blob([page.text], { type: "text/html" }));
    const jsonUrl = URL.createObjectURL(
      new Blob([JSON.stringify(report.body.report, null, 2)], { type: "application/json" }),
    );
    objectUrls.push(htmlUrl, jsonUrl);
    const frame = h("iframe", {
      class: "certificate",
      title: "Certificate of erasure",
      src: htmlUrl,
    }) as HTMLIFrameElement;
    const print = h("button", { type: "button", id: "print-certificate" }, "Print certificate");
    print.addEventListener("click", () => frame.contentWindow?.print());
    section.append(
      h(
        "p",
        { class: "actions" },
        h(
          "a",
          { href: htmlUrl, target: "_blank", rel: "noopener", id: "open-certificate" },
          "Open certificate",
        ),
        print,
        h(
          "a",
          { href: jsonUrl, download: `report-${id}.json`, id: "download-report" },
          "Download report (JSON)",
        ),
      ),
      frame,
    );
    return section;
  }

  async function requestPage(id: string, gen: number): Promise<void> {
    const r = await api("GET", `requests/${encodeURIComponent(id)}`);
    if (gen !== generation) return;
    if (r.status !== 200) return show(`Request ${id}`, failure(r));
    const s = r.body;
    const state = String(s.state);
    const left = daysLeftOf(String(s.deadline), state);
    const batch = s.batch as Json | undefined;
    const searched = s.searched as Json | undefined;
    const parts = (s.parts ?? []) as Json[];
    const cancelled = h("div", { "aria-live": "polite" });
    const cancel = h("button", { type: "button", class: "danger", id: "cancel-request" }, "Cancel request");
    cancel.addEventListener("click", async () => {
      (cancel as HTMLButtonElement).disabled = true;
      const c = await api("POST", `requests/${encodeURIComponent(id)}/cancel`, {});
      cancelled.replaceChildren(
        c.status === 200 ? h("p", { class: "ok" }, String(c.body.message)) : failure(c),
      );
      if (c.status === 200) setTimeout(() => route(), 500);
      else (cancel as HTMLButtonElement).disabled = false;
    });
    const content: Child[] = [
      h(
        "div",
        { class: "card" },
        facts([
          ["State", stateBadge(state)],
          ["Received", when(s.receivedAt)],
          ["Deadline", when(s.deadline)],
          ["Days left", left.overdue ? h("span", { class: "overdue" }, left.text) : left.text],
          ["Subjects", String(s.subjects ?? "—")],
          ["Reason", typeof s.reason === "string" ? s.reason : undefined],
          ["Verdict", typeof s.verdict === "string" ? s.verdict : undefined],
          ["Batch", batch ? String(batch.batchId) : undefined],
          [
            "Searched",
            searched
              ? `${(searched.mappers as string[]).length} data mappers, ${(searched.stores as string[]).length} stores, ${bytes(searched.bytesScanned)} scanned`
              : undefined,
          ],
        ]),
      ),
      endStates.includes(state)
        ? null
        : h(
            "p",
            { class: "actions" },
            cancel,
            h(
              "span",
              { class: "hint" },
              "Watching: this page refreshes every 2 seconds until the request ends.",
            ),
          ),
      cancelled,
    ];
    if (batch) {
      content.push(
        h("h2", {}, "Timeline"),
        timeline(batch),
        h("h2", {}, "Progress"),
        facts([
          ["Objects purged", String(batch.objectsPurged)],
          ["Objects with nothing to do", String(batch.objectsNothingToDo)],
          ["Objects failed", String(batch.objectsFailed)],
          ["Rows removed", String(batch.rowsRemoved)],
          ["Versions deleted", String(batch.versionsDeleted)],
        ]),
      );
    }
    if (parts.length)
      content.push(
        h("h2", {}, "Parts"),
        table(
          ["Part", "State", "Batch"],
          parts.map((p) => [
            h("a", { href: `#/request/${encodeURIComponent(String(p.requestId))}` }, String(p.requestId)),
            stateBadge(String(p.state)),
            String((p.batch as Json | undefined)?.batchId ?? "—"),
          ]),
        ),
      );
    show(`Request ${id}`, ...content);
    if (endStates.includes(state) && typeof s.report === "string") {
      const section = await certificateSection(id, gen);
      if (gen === generation) main.append(section);
    } else if (!endStates.includes(state)) {
      setTimeout(() => gen === generation && void requestPage(id, gen), 2000);
    }
  }

  // ---- File a request -------------------------------------------------------------------------
  function parseIds(text: string): { ids: (string | string[])[]; errors: string[] } {
    const ids: (string | string[])[] = [];
    const errors: string[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const t = line.trim();
      if (t === "") return;
      if (t.startsWith("[")) {
        try {
          const parts = JSON.parse(t) as unknown;
          if (Array.isArray(parts) && parts.every((p) => typeof p === "string")) ids.push(parts as string[]);
          else errors.push(`line ${i + 1}: a composite key is a JSON array of strings`);
        } catch {
          errors.push(`line ${i + 1}: a composite key is a JSON array of strings, e.g. ["1001", "EU"]`);
        }
      } else ids.push(t);
    });
    return { ids, errors };
  }

  function filePage(): void {
    const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
      h(
        "p",
        {},
        h("label", { for: id }, label),
        hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null,
        input,
      );
    const ids = h("textarea", {
      id: "customer-ids",
      name: "customerIds",
      required: true,
      rows: "8",
      "aria-describedby": "customer-ids-hint",
    }) as HTMLTextAreaElement;
    const upload = h("input", {
      type: "file",
      id: "ids-file",
      accept: ".txt,.csv,text/plain",
    }) as HTMLInputElement;
    upload.addEventListener("change", async () => {
      const f = upload.files?.[0];
      if (f) ids.value = await f.text();
    });
    const reason = h("input", {
      type: "text",
      id: "reason",
      name: "reason",
      maxlength: "1000",
    }) as HTMLInputElement;
    const by = h("input", {
      type: "text",
      id: "requested-by",
      name: "requestedBy",
      maxlength: "1000",
    }) as HTMLInputElement;
    const key = h("input", {
      type: "text",
      id: "idempotency-key",
      name: "idempotencyKey",
      maxlength: "256",
      value: crypto.randomUUID(),
      "aria-describedby": "idempotency-key-hint",
    }) as HTMLInputElement;
    const outcome = h("div", { "aria-live": "polite", id: "file-outcome" });
    const submit = h("button", { type: "submit" }, "File the request") as HTMLButtonElement;
    const form = h(
      "form",
      { id: "file-form", novalidate: true },
      field(
        "customer-ids",
        "Customer IDs",
        ids,
        'One per line. A composite key as a JSON array in column order, e.g. ["1001", "EU"].',
      ),
      field("ids-file", "Or upload a file of IDs", upload),
      field("reason", "Reason", reason),
      field("requested-by", "Requested by", by),
      field(
        "idempotency-key",
        "Idempotency key",
        key,
        "Filing again with the same key returns the first request instead of filing a second.",
      ),
      h("p", {}, submit),
      outcome,
    ) as HTMLFormElement;
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const parsed = parseIds(ids.value);
      if (parsed.errors.length || parsed.ids.length === 0) {
        outcome.replaceChildren(
          h(
            "p",
            { class: "error", role: "alert" },
            parsed.errors.join("\n") || "Give at least one customer ID.",
          ),
        );
        return;
      }
      submit.disabled = true;
      const r = await api(
        "POST",
        "requests",
        {
          customerIds: parsed.ids,
          ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
          ...(by.value.trim() ? { requestedBy: by.value.trim() } : {}),
        },
        key.value.trim() ? { "idempotency-key": key.value.trim() } : {},
      );
      submit.disabled = false;
      if (r.status !== 201) {
        // The IDs stay in the form (not yet filed) so they can be corrected.
        outcome.replaceChildren(failure(r));
        return;
      }
      // Filed: the IDs leave the page; only the request's id and counts are shown from now on.
      form.reset();
      ids.value = "";
      key.value = crypto.randomUUID();
      const id = String(r.body.requestId);
      outcome.replaceChildren(
        h(
          "p",
          { class: "ok", role: "status" },
          `Filed request ${id}: ${String(r.body.subjects ?? "")} subjects, deadline ${when(r.body.deadline)}.`,
        ),
        h(
          "p",
          {},
          h("a", { href: `#/request/${encodeURIComponent(id)}`, id: "filed-request" }, "Watch the request"),
        ),
      );
    });
    show("File an erasure request", form);
  }

  // ---- Batches --------------------------------------------------------------------------------
  function batchCard(b: Json): HTMLElement {
    const id = String(b.batchId);
    const safe = id.replace(/[^A-Za-z0-9_-]/g, "_");
    const outcome = h("div", { "aria-live": "polite" });
    const card = h(
      "section",
      { class: "card", "aria-labelledby": `batch-${safe}` },
      h("h3", { id: `batch-${safe}` }, `Batch ${id}`),
      facts([
        ["State", stateBadge(String(b.state))],
        ["Requests", String(b.requests)],
        ["Subjects", String(b.subjects)],
        ["Deadline", when(b.deadline)],
        ["Created", when(b.createdAt)],
        ["Why", typeof b.reason === "string" ? b.reason : undefined],
      ]),
    );
    if (b.plan)
      card.append(
        h("h4", {}, "The plan"),
        table(
          ["Figure", "Value"],
          Object.entries(b.plan as Json).map(([k, v]) => [
            k,
            /bytes/i.test(k) && typeof v === "number" ? bytes(v) : String(v),
          ]),
          [1],
        ),
      );
    const act = async (path: string, body: Json, button: HTMLButtonElement) => {
      button.disabled = true;
      const r = await api("POST", `batches/${encodeURIComponent(id)}/${path}`, body);
      outcome.replaceChildren(
        r.status === 200 ? h("p", { class: "ok", role: "status" }, String(r.body.message)) : failure(r),
      );
      // Decided: the card stays as a record of it, its buttons off (the list is read afresh on the next visit).
      if (r.status === 200)
        for (const other of Array.from(card.querySelectorAll("button"))) other.disabled = true;
      else button.disabled = false;
    };
    if (b.state === "AWAITING_APPROVAL") {
      const reason = h("textarea", {
        id: `reason-${safe}`,
        rows: "2",
        maxlength: "1000",
      }) as HTMLTextAreaElement;
      const by = h("input", { type: "text", id: `by-${safe}`, maxlength: "256" }) as HTMLInputElement;
      const approve = h(
        "button",
        { type: "button", class: "approve" },
        `Approve batch ${id}`,
      ) as HTMLButtonElement;
      const reject = h(
        "button",
        { type: "button", class: "danger reject" },
        `Reject batch ${id}`,
      ) as HTMLButtonElement;
      const note = () => ({ ...(by.value.trim() ? { by: by.value.trim() } : {}) });
      approve.addEventListener(
        "click",
        () =>
          void act(
            "approve",
            { ...note(), ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) },
            approve,
          ),
      );
      reject.addEventListener("click", () => {
        if (!reason.value.trim()) {
          outcome.replaceChildren(h("p", { class: "error", role: "alert" }, "A rejection needs a reason."));
          reason.focus();
          return;
        }
        void act("reject", { ...note(), reason: reason.value.trim() }, reject);
      });
      card.append(
        h("p", {}, h("label", { for: `reason-${safe}` }, "Reason (required to reject)"), reason),
        h("p", {}, h("label", { for: `by-${safe}` }, "Your name (a note)"), by),
        h("p", { class: "actions" }, approve, reject),
      );
    } else {
      const retry = h("button", { type: "button", class: "retry" }, `Retry batch ${id}`) as HTMLButtonElement;
      retry.addEventListener("click", () => void act("retry", {}, retry));
      card.append(
        h(
          "p",
          { class: "actions" },
          retry,
          h(
            "span",
            { class: "hint" },
            "Resumes from the step that failed; objects already purged are not purged again.",
          ),
        ),
      );
    }
    card.append(outcome);
    return card;
  }

  async function batchesPage(gen: number): Promise<void> {
    const [waiting, attention] = await Promise.all([
      api("GET", "batches?state=AWAITING_APPROVAL"),
      api("GET", "batches?state=NEEDS_ATTENTION"),
    ]);
    if (gen !== generation) return;
    const list = (r: Reply, empty: string) =>
      r.status !== 200
        ? [failure(r)]
        : (r.body.batches as Json[]).length
          ? (r.body.batches as Json[]).map((b) => batchCard(b))
          : [h("p", {}, empty)];
    show(
      "Batches",
      h("h2", {}, "Waiting for approval"),
      ...list(waiting, "No batch waits for approval."),
      h("h2", {}, "Needing attention"),
      ...list(attention, "No batch needs attention."),
    );
  }

  // ---- Operations -----------------------------------------------------------------------------
  async function operationsPage(gen: number): Promise<void> {
    const r = await api("GET", "operations");
    if (gen !== generation) return;
    if (r.status !== 200) return show("Operations", failure(r));
    const byState = r.body.byState as Record<string, number>;
    const oldest = r.body.oldestOpen as Json | undefined;
    show(
      "Operations",
      h("h2", {}, "Requests by state"),
      h(
        "div",
        { class: "figures" },
        ...states.map((s) =>
          h(
            "a",
            { class: "figure", href: `#/requests?state=${s}` },
            h("b", {}, String(byState[s] ?? 0)),
            s.replace(/_/g, " ").toLowerCase(),
          ),
        ),
      ),
      h("h2", {}, "Open requests"),
      facts([
        ["Overdue", String(r.body.overdue)],
        [
          "Oldest open request",
          oldest
            ? h(
                "a",
                { href: `#/request/${encodeURIComponent(String(oldest.requestId))}` },
                `${String(oldest.requestId)} (${String(oldest.ageDays)} days, ${String(oldest.state)})`,
              )
            : "none",
        ],
        ["As of", when(r.body.at)],
      ]),
      h("h2", {}, "Last purge failures"),
      (r.body.lastFailures as Json[]).length
        ? table(
            ["Recorded", "Batch", "Kind", "Object", "Reason"],
            (r.body.lastFailures as Json[]).map((f) => [
              when(f.recordedAt),
              String(f.batchId ?? "—"),
              String(f.kind),
              String(f.object ?? "—"),
              String(f.reason),
            ]),
            [],
            "Last purge failures",
          )
        : h("p", {}, "No purge failure is waiting for a person."),
      h("h2", {}, "Dead-letter queues"),
      (r.body.deadLetterQueues as Json[]).length
        ? table(
            ["Queue", "Messages", "In flight"],
            (r.body.deadLetterQueues as Json[]).map((q) => {
              const waiting = Number(q.messages);
              return [
                String(q.name),
                // A message in a DLQ is an event nothing handled: it stands out, in words too.
                waiting > 0
                  ? h("span", { class: "overdue dlq-depth" }, `${waiting} waiting`)
                  : h("span", { class: "dlq-depth" }, "0"),
                String(q.inFlight),
              ];
            }),
            [1, 2],
            "Dead-letter queues",
          )
        : h("p", {}, "No dead-letter queue is readable by the API function."),
      h("p", { class: "hint" }, "The store functions' dead-letter queues: the stack's CloudWatch dashboard."),
    );
  }

  // ---- Routing --------------------------------------------------------------------------------
  function route(): void {
    const gen = ++generation;
    for (const u of objectUrls.splice(0)) URL.revokeObjectURL(u);
    const path = location.hash.replace(/^#/, "").split("?")[0] || "/requests";
    for (const a of Array.from(document.querySelectorAll("header nav a"))) {
      const target = (a.getAttribute("href") ?? "").slice(1);
      if (path === target || (target === "/requests" && path.startsWith("/request/")))
        a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const failed = (err: unknown) =>
      gen === generation &&
      show(
        "Something failed",
        h("p", { class: "error", role: "alert" }, String((err as Error)?.message ?? err)),
      );
    if (path.startsWith("/request/"))
      void requestPage(decodeURIComponent(path.slice("/request/".length)), gen).catch(failed);
    else if (path === "/file") filePage();
    else if (path === "/batches") void batchesPage(gen).catch(failed);
    else if (path === "/operations") void operationsPage(gen).catch(failed);
    else void requestsPage(gen).catch(failed);
  }

  void signedIn().then((ok) => {
    if (!ok) return;
    window.addEventListener("hashchange", () => {
      route();
      main.focus();
    });
    route();
  });
}
