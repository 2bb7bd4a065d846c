/**
 * The page's inline scripts: plain ES2017, no build step. They never use innerHTML with data;
 * card text reaches the DOM only as text nodes. (Kept as strings: no backticks or "${" inside.)
 */

/** Shared by every page: shortcut dispatch, the help dialog, local times. */
export const COMMON_JS = String.raw`
var SO = (function () {
  "use strict";
  var keys = {};
  function typing(el) {
    if (!el || !el.tagName) return false;
    var tag = el.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || el.isContentEditable) return true;
    if (tag !== "input") return false;
    var type = (el.getAttribute("type") || "text").toLowerCase();
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(type) < 0;
  }
  var help = document.getElementById("shortcuts");
  function openHelp() { if (help && !help.open) help.showModal(); }
  keys["?"] = openHelp;
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented) return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      if (keys["ctrl+enter"] && keys["ctrl+enter"](e) !== false) e.preventDefault();
      return;
    }
    if (e.key === "Escape" && keys.escape && !(help && help.open)) { keys.escape(e); return; }
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (help && help.open) return;
    var fn = keys[e.key];
    if (fn && fn(e) !== false) e.preventDefault();
  });
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (isNaN(d.getTime())) return;
    t.title = d.toLocaleString();
    if (t.classList.contains("abs")) t.textContent = d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  });
  function go(id) { var a = document.getElementById(id); if (a && a.getAttribute("href")) location.assign(a.getAttribute("href")); }
  return { keys: keys, typing: typing, go: go };
})();
`;

/** The queue: j/k move the selection, Enter/o open it, filters apply on change. */
export const QUEUE_JS = String.raw`
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var index = rows.length ? 0 : -1;
  function select(i) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) {
      r.classList.toggle("selected", k === index);
      if (k === index) r.setAttribute("aria-current", "true"); else r.removeAttribute("aria-current");
    });
    rows[index].scrollIntoView({ block: "nearest" });
  }
  function open() { if (index >= 0) location.assign(rows[index].getAttribute("data-href")); }
  select(0);
  rows.forEach(function (r, k) {
    r.addEventListener("click", function (e) { if (e.target.closest("a")) return; select(k); open(); });
  });
  SO.keys.j = function () { select(index + 1); };
  SO.keys.k = function () { select(index - 1); };
  SO.keys.o = open;
  SO.keys.Enter = function (e) { if (e.target !== document.body) return false; open(); };
  var filters = document.getElementById("filters");
  if (filters) {
    Array.prototype.forEach.call(filters.querySelectorAll("select"), function (s) {
      s.addEventListener("change", function () { filters.submit(); });
    });
  }
})();
`;

/** Word-level diff (LCS over words and spaces), shared by the review page. */
export const DIFF_JS = String.raw`
function wordDiff(a, b) {
  var x = a.match(/\s+|[^\s]+/g) || [], y = b.match(/\s+|[^\s]+/g) || [];
  var ops = [];
  function push(type, text) {
    var last = ops[ops.length - 1];
    if (last && last.type === type) last.text += text; else ops.push({ type: type, text: text });
  }
  var start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  var endX = x.length, endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) { endX--; endY--; }
  var i, j;
  for (i = 0; i < start; i++) push("same", x[i]);
  var n = endX - start, m = endY - start;
  var middle = [];
  if (n * m > 4000000) {
    for (i = 0; i < n; i++) middle.push({ type: "del", text: x[start + i] });
    for (j = 0; j < m; j++) middle.push({ type: "ins", text: y[start + j] });
  } else {
    var w = m + 1, L = new Uint32Array((n + 1) * w);
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        L[i * w + j] = x[start + i] === y[start + j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
      }
    }
    i = 0; j = 0;
    while (i < n && j < m) {
      if (x[start + i] === y[start + j]) { middle.push({ type: "same", text: x[start + i] }); i++; j++; }
      else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) { middle.push({ type: "del", text: x[start + i] }); i++; }
      else { middle.push({ type: "ins", text: y[start + j] }); j++; }
    }
    for (; i < n; i++) middle.push({ type: "del", text: x[start + i] });
    for (; j < m; j++) middle.push({ type: "ins", text: y[start + j] });
  }
  // A lone space between two changes joins them, so a replaced phrase reads as one deletion
  // followed by one insertion instead of alternating word by word.
  var k, run = null;
  for (k = 0; k < middle.length; k++) {
    var op = middle[k];
    var joiner = op.type === "same" && /^\s+$/.test(op.text) && run && k + 1 < middle.length && middle[k + 1].type !== "same";
    if (op.type !== "same" || joiner) {
      if (!run) run = { del: "", ins: "" };
      if (op.type !== "ins") run.del += op.text;
      if (op.type !== "del") run.ins += op.text;
    } else {
      if (run) { if (run.del) push("del", run.del); if (run.ins) push("ins", run.ins); run = null; }
      push("same", op.text);
    }
  }
  if (run) { if (run.del) push("del", run.del); if (run.ins) push("ins", run.ins); }
  for (i = endX; i < x.length; i++) push("same", x[i]);
  return ops;
}
`;

/** The review view: claim and heartbeat, the action forms, the live diff, decisions. */
export const REVIEW_JS = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var base = "/reviews/" + encodeURIComponent(data.review_id);
  var statusBox = document.getElementById("messages");
  var busy = false, decided = !data.pending, autoClaimed = false;
  var claim = { by: data.claim.by, until: data.claim.until };
  var lastActivity = Date.now(), heartbeat = null;

  function words(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function when(iso) { var d = new Date(iso); return isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }

  // Messages are built from text nodes only.
  function show(kind, text, actions) {
    statusBox.textContent = "";
    if (!text) return;
    var box = document.createElement("div");
    box.className = "flash " + kind;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    var p = document.createElement("div");
    p.textContent = text;
    box.appendChild(p);
    if (actions && actions.length) {
      var bar = document.createElement("div");
      bar.className = "actions";
      actions.forEach(function (a) {
        var b;
        if (a.href) { b = document.createElement("a"); b.className = "button"; b.href = a.href; }
        else { b = document.createElement("button"); b.type = "button"; b.addEventListener("click", a.onClick); }
        b.textContent = a.label;
        bar.appendChild(b);
        bar.appendChild(document.createTextNode(" "));
      });
      box.appendChild(bar);
    }
    statusBox.appendChild(box);
    box.scrollIntoView({ block: "nearest" });
  }

  function api(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (res) {
      return res.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        return { ok: res.ok, status: res.status, body: json };
      });
    });
  }

  function saveDraftAndReload() {
    try { sessionStorage.setItem("signoff:forms:" + data.review_id, JSON.stringify(formState())); } catch (e) { /* private mode */ }
    location.reload();
  }
  var reloadAction = { label: "Reload the item", onClick: saveDraftAndReload };
  var nextAction = { label: "Go to the next item", href: data.nextUrl };
  var decisionWords = { approve: "approved", edit: "approved with edits", respond: "answered directly", reject: "rejected", revise: "sent back for a revision" };

  // A readable sentence for every refusal; never the raw JSON.
  function explain(res, doing) {
    var err = (res.body && res.body.error) || {};
    var d = err.details || {};
    var code = err.code || "";
    if (res.status === 0) return show("error", "Could not reach the server, so nothing was saved. Check your connection and try again.");
    if (res.status === 401) return show("error", "Your sign-in has expired or your key was revoked, so nothing was saved.", [{ label: "Sign in again", href: data.loginUrl }]);
    if (res.status === 403) return show("error", "Your key is not allowed to review items. Ask an admin for a reviewer key.");
    if (res.status === 404) return show("error", "This item no longer exists.", [{ label: "Back to the queue", href: data.queueUrl }]);
    if (code === "already_decided") {
      markDecided();
      var how = decisionWords[d.decision_type] || "decided";
      return show("warn", "This item was already " + how + (d.decided_by ? " by " + d.decided_by : "") + (d.decided_at ? " at " + when(d.decided_at) : "") + ". Your " + doing + " was not saved.", [nextAction, reloadAction]);
    }
    if (code === "claimed_by_other") {
      setClaim(d.claimed_by || null, d.claim_expires_at || null);
      return show("warn", (d.claimed_by || "Another reviewer") + " is working on this item" + (d.claim_expires_at ? " until " + when(d.claim_expires_at) : "") + ". Your " + doing + " was not saved.", [nextAction, reloadAction]);
    }
    if (code === "stale_version") return show("warn", "This item changed while you had it open (for example another reviewer voted, or it was escalated). Nothing was saved. Reload to see the current version; what you typed here is kept.", [reloadAction]);
    if (code === "already_voted") return show("warn", "You have already approved this item. It now needs another reviewer's approval.", [nextAction]);
    if (code === "escalated_to_admin") return show("warn", "Reviewers disagreed on this item, so an admin decides it now.", [nextAction]);
    if (code === "not_claimed") { setClaim(null, null); return show("warn", "This item is not claimed by anyone."); }
    if (code === "decision_not_allowed") return show("error", "That decision is not allowed on this item: " + (err.message || "") + ".");
    if (code === "unknown_chunks") return show("error", "Some of the chosen passages are no longer in the knowledge base. Reload the item.", [reloadAction]);
    if (code === "validation_failed" && Array.isArray(d)) return show("error", "Please check the form: " + d.map(function (i) { return i.message; }).join("; ") + ".");
    if (res.status === 503) return show("error", "The service cannot reach its database right now. Nothing was saved; try again in a minute.");
    return show("error", "Something went wrong (" + res.status + (err.message ? ": " + err.message : "") + "). Nothing was saved; try again.");
  }
  // Someone else decided it: nothing more to claim or submit here.
  function markDecided() {
    decided = true;
    stopHeartbeat();
    if (claimBar) { claimBar.classList.remove("mine", "other"); claimText.textContent = "This item has been decided."; claimBtn.hidden = true; }
    if (openName) { forms[openName].hidden = true; openName = null; }
    Array.prototype.forEach.call(document.querySelectorAll(".actions-bar button"), function (b) { b.disabled = true; });
  }
  function networkError() { return { ok: false, status: 0, body: null }; }

  // ---- claim ----
  var claimBar = document.getElementById("claimbar");
  var claimText = document.getElementById("claim-status");
  var claimBtn = document.getElementById("claim-btn");
  function mine() { return claim.by === data.me && claim.until && new Date(claim.until).getTime() > Date.now() - 1000; }
  function setClaim(by, until) {
    claim = { by: by, until: until };
    if (!claimBar) return;
    claimBar.classList.toggle("mine", !!by && by === data.me);
    claimBar.classList.toggle("other", !!by && by !== data.me);
    if (!by) claimText.textContent = "Nobody is working on this item. Claim it so other reviewers skip it.";
    else if (by === data.me) claimText.textContent = "You are working on this item (claimed until " + when(until) + ", renewed while this page is open).";
    else claimText.textContent = by + " is working on this item until " + when(until) + ". " + (data.admin ? "As an admin you can take it over." : "Your decisions are refused until they release it.");
    claimBtn.textContent = !by ? "Claim" : by === data.me ? "Release" : "Take over";
    claimBtn.hidden = !!by && by !== data.me && !data.admin;
    if (by === data.me) startHeartbeat(); else stopHeartbeat();
  }
  function doClaim(auto) {
    return api(base + "/claim").then(function (res) {
      if (res.ok) { autoClaimed = !!auto; setClaim(res.body.claimed_by, res.body.claim_expires_at); if (!auto) show("", ""); }
      else if (!auto || (res.body && res.body.error && res.body.error.code === "claimed_by_other")) explain(res, "claim");
    }, function () { if (!auto) explain(networkError(), "claim"); });
  }
  function doRelease() {
    return api(base + "/release").then(function (res) {
      if (res.ok) { autoClaimed = false; setClaim(null, null); show("ok", "Released: the item is back in the queue for anyone."); }
      else explain(res, "release");
    }, function () { explain(networkError(), "release"); });
  }
  function toggleClaim() { if (decided || !claimBtn || claimBtn.hidden) return; if (claim.by === data.me) doRelease(); else doClaim(false); }
  function startHeartbeat() {
    if (heartbeat) return;
    var every = Math.max(15, Math.min(120, Math.floor(data.leaseSeconds / 3))) * 1000;
    heartbeat = setInterval(function () {
      if (decided || document.visibilityState !== "visible" || Date.now() - lastActivity > 10 * 60 * 1000) return;
      api(base + "/heartbeat").then(function (res) {
        if (res.ok) setClaim(res.body.claimed_by, res.body.claim_expires_at);
        else if (res.body && res.body.error && ["claimed_by_other", "already_decided"].indexOf(res.body.error.code) >= 0) explain(res, "claim");
      }, function () { /* try again on the next beat */ });
    }, every);
  }
  function stopHeartbeat() { if (heartbeat) { clearInterval(heartbeat); heartbeat = null; } }
  ["keydown", "pointerdown", "scroll", "input"].forEach(function (t) { document.addEventListener(t, function () { lastActivity = Date.now(); }, { passive: true }); });
  if (claimBtn) claimBtn.addEventListener("click", toggleClaim);
  if (data.pending) {
    setClaim(claim.by, claim.until);
    if (!claim.by) doClaim(true);
    // Leaving without deciding gives back an item this page claimed by itself.
    window.addEventListener("pagehide", function () {
      if (autoClaimed && !decided && claim.by === data.me && navigator.sendBeacon) navigator.sendBeacon(base + "/release");
    });
  }

  // ---- citations ----
  Array.prototype.forEach.call(document.querySelectorAll("a.cite"), function (a) {
    a.addEventListener("click", function (e) {
      var target = document.getElementById(a.getAttribute("data-passage"));
      if (!target) return;
      e.preventDefault();
      Array.prototype.forEach.call(document.querySelectorAll(".passage.highlight"), function (p) { p.classList.remove("highlight"); });
      target.classList.add("highlight");
      target.scrollIntoView({ behavior: "smooth", block: "center" });
      target.focus({ preventScroll: true });
      history.replaceState(null, "", "#" + target.id);
    });
  });
  if (location.hash) {
    var targeted = document.getElementById(location.hash.slice(1));
    if (targeted && targeted.classList.contains("passage")) targeted.classList.add("highlight");
  }

  // ---- action forms ----
  var names = ["approve", "edit", "respond", "reject", "revise"];
  var forms = {};
  names.forEach(function (n) { var f = document.getElementById("form-" + n); if (f) forms[n] = f; });
  var openName = null;
  function firstField(name) {
    var f = forms[name];
    if (name === "approve") return f.querySelector("button[type=submit]");
    if (name === "edit" && data.stage === "retrieval") return document.querySelector("input.choose-passage") || f.querySelector("button[type=submit]");
    if (name === "reject") return f.querySelector("input[type=checkbox]");
    return f.querySelector("textarea");
  }
  function open(name) {
    if (decided || busy || !forms[name]) return;
    names.forEach(function (n) {
      if (forms[n]) forms[n].hidden = n !== name;
      var b = document.getElementById("act-" + n);
      if (b) b.setAttribute("aria-expanded", n === name ? "true" : "false");
    });
    openName = name;
    forms[name].scrollIntoView({ block: "nearest" });
    var field = firstField(name);
    if (field) {
      field.focus();
      if (field.tagName === "TEXTAREA") { var end = field.value.length; field.setSelectionRange(end, end); }
    }
    if (name === "edit") updateDiff();
  }
  function close() {
    if (!openName) return;
    var b = document.getElementById("act-" + openName);
    forms[openName].hidden = true;
    if (b) { b.setAttribute("aria-expanded", "false"); b.focus(); }
    openName = null;
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-open]"), function (b) {
    b.addEventListener("click", function () { if (openName === b.getAttribute("data-open")) close(); else open(b.getAttribute("data-open")); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-close]"), function (b) { b.addEventListener("click", close); });

  // ---- the live diff of an edit ----
  var editBox = document.getElementById("edit-answer");
  var diffBox = document.getElementById("edit-diff");
  var diffSummary = document.getElementById("edit-diff-summary");
  var editSubmit = forms.edit && forms.edit.querySelector("button[type=submit]");
  function updateDiff() {
    if (!editBox || !diffBox) return;
    var before = data.draft || "", after = editBox.value;
    var ops = wordDiff(before, after);
    diffBox.textContent = "";
    var added = 0, removed = 0;
    ops.forEach(function (op) {
      var count = (op.text.match(/[^\s]+/g) || []).length;
      if (op.type === "same") { diffBox.appendChild(document.createTextNode(op.text)); return; }
      var el = document.createElement(op.type);
      el.textContent = op.text;
      el.title = op.type === "ins" ? "added" : "removed";
      diffBox.appendChild(el);
      if (op.type === "ins") added += count; else removed += count;
    });
    var changed = before.trim() !== after.trim();
    diffSummary.textContent = !after.trim() ? "The answer is empty." : changed ? words(removed, "word", "words") + " removed, " + words(added, "word", "words") + " added." : "No changes yet: this is the draft as it is.";
    if (editSubmit) editSubmit.disabled = !changed || !after.trim();
  }
  if (editBox) { editBox.addEventListener("input", updateDiff); updateDiff(); }

  // ---- evidence choice at the retrieval stage ----
  var chooseCount = document.getElementById("chosen-count");
  function chosen() { return Array.prototype.map.call(document.querySelectorAll("input.choose-passage:checked"), function (c) { return c.value; }); }
  function updateChosen() {
    if (!chooseCount) return;
    var n = chosen().length;
    chooseCount.textContent = n ? words(n, "passage", "passages") + " chosen." : "No passage chosen yet: tick the ones to answer from.";
    if (forms.edit) forms.edit.querySelector("button[type=submit]").disabled = n === 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll("input.choose-passage"), function (c) {
    c.addEventListener("change", function () { updateChosen(); if (c.checked && openName !== "edit") open("edit"); });
  });
  updateChosen();

  function value(id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; }
  function formState() {
    var s = {};
    ["edit-answer", "respond-answer", "reject-comment", "revise-instructions", "approve-comment", "edit-comment", "respond-comment", "revise-comment"].forEach(function (id) {
      var el = document.getElementById(id); if (el) s[id] = el.value;
    });
    s.reasons = Array.prototype.map.call(document.querySelectorAll("input[name=reject-reason]:checked"), function (c) { return c.value; });
    s.chosen = chosen();
    s.open = openName;
    return s;
  }
  (function restore() {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem("signoff:forms:" + data.review_id) || "null"); sessionStorage.removeItem("signoff:forms:" + data.review_id); } catch (e) { saved = null; }
    if (!saved || decided) return;
    Object.keys(saved).forEach(function (id) { var el = document.getElementById(id); if (el && typeof saved[id] === "string") el.value = saved[id]; });
    Array.prototype.forEach.call(document.querySelectorAll("input[name=reject-reason]"), function (c) { c.checked = (saved.reasons || []).indexOf(c.value) >= 0; });
    Array.prototype.forEach.call(document.querySelectorAll("input.choose-passage"), function (c) { c.checked = (saved.chosen || []).indexOf(c.value) >= 0; });
    updateDiff(); updateChosen();
    if (saved.open) open(saved.open);
    show("ok", "Reloaded the current version of the item. What you had typed is kept; check it against the new version before you submit.");
  })();

  function withNote(body, id) { var note = value(id); if (note) body.comment = note; return body; }
  function collect(name) {
    if (name === "approve") return withNote({ type: "approve" }, "approve-comment");
    if (name === "edit") {
      if (data.stage === "retrieval") {
        var ids = chosen();
        if (!ids.length) return "Tick at least one passage to answer from.";
        return withNote({ type: "edit", chunk_ids: ids }, "edit-comment");
      }
      var answer = value("edit-answer");
      if (!answer) return "The edited answer is empty.";
      if (answer === (data.draft || "").trim()) return "You have not changed the draft. To send it as it is, approve it.";
      return withNote({ type: "edit", answer: answer }, "edit-comment");
    }
    if (name === "respond") {
      var own = value("respond-answer");
      if (!own) return "Write the answer the user should get.";
      return withNote({ type: "respond", answer: own }, "respond-comment");
    }
    if (name === "reject") {
      var reasons = Array.prototype.map.call(document.querySelectorAll("input[name=reject-reason]:checked"), function (c) { return c.value; });
      var comment = value("reject-comment");
      if (!reasons.length && !comment) return "Choose at least one reason, or say why in the comment.";
      var body = { type: "reject", reasons: reasons };
      if (comment) body.comment = comment;
      return body;
    }
    var instructions = value("revise-instructions");
    if (!instructions) return "Say what should change in the instructions.";
    return withNote({ type: "revise", instructions: instructions }, "revise-comment");
  }

  function submit(name) {
    if (busy || decided) return;
    var body = collect(name);
    if (typeof body === "string") { show("error", body); var f = firstField(name); if (f) f.focus(); return; }
    body.version = data.version;
    busy = true;
    var buttons = document.querySelectorAll(".action-form button, .actions-bar button");
    Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("data-was-disabled", b.disabled ? "1" : ""); b.disabled = true; });
    show("ok", "Saving your decision…");
    api(base + "/decision", body).then(function (res) {
      if (res.ok) {
        decided = res.body.outcome === "decided" || res.body.outcome === "escalated" || res.body.outcome === "vote_recorded";
        stopHeartbeat();
        location.assign(data.nextUrl);
        return;
      }
      busy = false;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = !!b.getAttribute("data-was-disabled"); });
      if (name === "edit") { updateDiff(); updateChosen(); }
      explain(res, "decision");
    }, function () {
      busy = false;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = !!b.getAttribute("data-was-disabled"); });
      explain(networkError(), "decision");
    });
  }
  names.forEach(function (n) {
    if (forms[n]) forms[n].addEventListener("submit", function (e) { e.preventDefault(); submit(n); });
  });

  // ---- shortcuts ----
  SO.keys.a = function () { open("approve"); };
  SO.keys.e = function () { open("edit"); };
  SO.keys.r = function () { open("respond"); };
  SO.keys.x = function () { open("reject"); };
  SO.keys.v = function () { open("revise"); };
  SO.keys.c = toggleClaim;
  SO.keys.j = function () { SO.go("nav-next"); };
  SO.keys.k = function () { SO.go("nav-prev"); };
  SO.keys.q = function () { SO.go("nav-queue"); };
  SO.keys["ctrl+enter"] = function () { if (openName) submit(openName); };
  SO.keys.escape = function (e) {
    if (!openName) return;
    e.preventDefault();
    if (SO.typing(e.target)) e.target.blur();
    close();
  };
})();
`;
