// EegDann live console: renders the daemon's frames (Server-Sent Events from /events).
// Every frame is the page's whole state, so a frame lost on the way costs only time.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const classColors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"];
  const css = getComputedStyle(document.documentElement);
  let latest = null;
  let pending = false;
  let probPlot = null;
  let probClasses = "";
  let signalPlots = [];
  let signalNames = "";
  let headNames = "";
  let modelId = null;
  let frames = 0;

  function fmt(v, digits) { return v === null || v === undefined ? "–" : Number(v).toFixed(digits); }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function width(node) { return Math.max(300, Math.floor(node.getBoundingClientRect().width)); }

  // ---- channels ----------------------------------------------------------------------------
  function renderChannels(ch) {
    const names = ch.items.map((c) => c.name).join(",") + ch.layout;
    const head = $("head"), list = $("channel-list");
    if (names !== headNames) {
      headNames = names;
      head.replaceChildren();
      list.replaceChildren();
      if (ch.layout === "head") {
        head.hidden = false;
        head.append(svg("circle", { cx: 160, cy: 165, r: 150, fill: "#eef1f5", stroke: "#889", "stroke-width": 2 }));
        head.append(svg("path", { d: "M 145 17 L 160 2 L 175 17", fill: "none", stroke: "#889", "stroke-width": 2 }));
        head.append(svg("path", { d: "M 10 145 Q 2 165 10 185 M 310 145 Q 318 165 310 185", fill: "none", stroke: "#889", "stroke-width": 2 }));
      } else {
        head.hidden = true;
      }
      for (const c of ch.items) {
        if (ch.layout === "head" && c.x !== undefined) {
          const g = svg("g", { id: "channel-" + c.name, "data-state": c.state, class: "s-" + c.state });
          const t = svg("title", {}); t.textContent = c.name;
          g.append(t);
          g.append(svg("circle", { cx: 160 + c.x * 290, cy: 165 - c.y * 290, r: 10.5 }));
          const label = svg("text", { x: 160 + c.x * 290, y: 165 - c.y * 290 }); label.textContent = c.name;
          g.append(label);
          head.append(g);
        } else {
          list.append(el("li", { id: "channel-" + c.name, "data-state": c.state, class: "s-" + c.state }, c.name));
        }
      }
    }
    const counts = {};
    for (const c of ch.items) {
      counts[c.state] = (counts[c.state] || 0) + 1;
      const node = document.getElementById("channel-" + c.name);
      if (node && node.getAttribute("data-state") !== c.state) {
        node.setAttribute("data-state", c.state);
        node.setAttribute("class", "s-" + c.state);
        const title = node.querySelector("title");
        if (title) title.textContent = c.name + ": " + c.state.replace("_", "-");
      }
    }
    $("channel-summary").textContent = Object.keys(counts).sort().map((k) => counts[k] + " " + k.replace("_", "-")).join(", ");
  }

  // ---- signal ------------------------------------------------------------------------------
  function renderSignal(s) {
    $("signal-filter").textContent = s.filter ? "(" + s.filter + ")" : "";
    const host = $("signal-charts");
    const key = s.names.join(",");
    if (key !== signalNames) {
      signalNames = key;
      signalPlots.forEach((p) => p.destroy());
      host.replaceChildren();
      signalPlots = s.names.map((name, k) => new uPlot({
        width: width(host), height: 95, legend: { show: false },
        scales: { x: { time: false } },
        series: [{}, { label: name, stroke: classColors[(k + 2) % classColors.length], width: 1, spanGaps: false }],
        axes: [{ size: 22, font: "10px sans-serif" }, { size: 48, font: "10px sans-serif", label: name + " µV", labelSize: 14, labelFont: "11px sans-serif" }],
        cursor: { show: false },
      }, [[], []], host));
    }
    if (!s.data.length || s.endSeconds === null) return;
    const n = s.data[0].length, t = new Array(n);
    for (let i = 0; i < n; i++) t[i] = s.endSeconds - (n - 1 - i) / s.rateHz;
    s.data.forEach((values, k) => signalPlots[k] && signalPlots[k].setData([t, values]));
  }

  // ---- probabilities -----------------------------------------------------------------------
  function drawDecisionMarks(u) {
    const d = latest && latest.decisions;
    if (!d || !d.t.length) return;
    const ctx = u.ctx, box = u.bbox;
    ctx.save();
    ctx.beginPath(); ctx.rect(box.left, box.top, box.width, box.height); ctx.clip();
    // Commands issued: shaded in the class's colour.
    let start = -1;
    for (let i = 0; i <= d.t.length; i++) {
      const c = i < d.t.length ? d.command[i] : -2;
      if (start >= 0 && c !== d.command[start]) {
        const x0 = u.valToPos(d.t[start], "x", true), x1 = u.valToPos(d.t[i - 1], "x", true);
        ctx.fillStyle = classColors[d.command[start] % classColors.length] + "26";
        ctx.fillRect(x0, box.top, Math.max(1, x1 - x0), box.height);
        // The dwell before the onset: the time the class had to stay above the threshold.
        const xd = u.valToPos(d.t[start] - d.dwellSeconds, "x", true), yT = u.valToPos(d.threshold, "y", true);
        ctx.strokeStyle = classColors[d.command[start] % classColors.length];
        ctx.lineWidth = 4 * devicePixelRatio;
        ctx.beginPath(); ctx.moveTo(xd, yT); ctx.lineTo(x0, yT); ctx.stroke();
        start = -1;
      }
      if (start < 0 && c >= 0) start = i;
    }
    // The confidence threshold.
    const y = u.valToPos(d.threshold, "y", true);
    ctx.strokeStyle = "#333"; ctx.lineWidth = 1 * devicePixelRatio; ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath(); ctx.moveTo(box.left, y); ctx.lineTo(box.left + box.width, y); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#333"; ctx.font = (11 * devicePixelRatio) + "px sans-serif"; ctx.textAlign = "left"; ctx.textBaseline = "bottom";
    ctx.fillText("threshold " + d.threshold.toFixed(2) + ", dwell " + d.dwellSeconds.toFixed(2) + " s", box.left + 6 * devicePixelRatio, y - 5 * devicePixelRatio);
    ctx.restore();
  }

  function renderProbabilities(d) {
    const host = $("prob-chart");
    const key = d.classes.join(",");
    if (key !== probClasses) {
      probClasses = key;
      if (probPlot) probPlot.destroy();
      host.replaceChildren();
      probPlot = new uPlot({
        width: width(host), height: 220,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        series: [{ label: "stream time (s)" }].concat(d.classes.map((c, k) => ({ label: "p(" + c + ")", stroke: classColors[k % classColors.length], width: 1.5, spanGaps: false }))),
        axes: [{ size: 24, font: "10px sans-serif" }, { size: 36, font: "10px sans-serif" }],
        hooks: { draw: [drawDecisionMarks] },
      }, [[]].concat(d.classes.map(() => [])), host);
      $("prob-legend").textContent = "(smoothed; shaded: command sent; thick bar: dwell before it; gaps: fail-safe)";
    }
    probPlot.setData([d.t].concat(d.p));
    host.dataset.updates = String(++frames);
    host.dataset.points = String(d.t.length);
    host.dataset.last = d.t.length ? String(d.t[d.t.length - 1]) : "";
  }

  // ---- command stream ----------------------------------------------------------------------
  function renderCommands(state) {
    const cur = state.current;
    const cmd = $("command");
    cmd.textContent = cur.command || "–";
    cmd.dataset.command = cur.command || "";
    $("reason").textContent = cur.reason ? "none because: " + cur.reason.replace(/_/g, " ") + (cur.detail ? " (" + cur.detail + ")" : "") : "";
    $("reason").dataset.reason = cur.reason || "";
    const list = $("commands");
    list.replaceChildren(...state.commands.map((e) => {
      const li = el("li", { "data-reason": e.reason || "" });
      li.append(el("span", { class: "t" }, fmt(e.t, 2) + " s"), el("span", { class: "c-" + (e.command === "none" ? "none" : e.command) }, e.command));
      if (e.reason) li.append(document.createTextNode(" — " + e.reason.replace(/_/g, " ") + (e.detail ? ": " + e.detail : "")));
      return li;
    }));
  }

  // ---- latency, rates, drops ---------------------------------------------------------------
  function renderMonitoring(state) {
    const l = state.latency;
    $("p50").textContent = fmt(l.p50, 2);
    $("p99").textContent = fmt(l.p99, 2);
    $("wps").textContent = fmt(state.rates.windowsPerSecond, 1);
    const drops = state.drops;
    const pipeline = Object.keys(drops).filter((k) => !k.startsWith("console")).reduce((a, k) => a + drops[k], 0);
    $("drops").textContent = String(pipeline);
    $("drops-detail").textContent = "decoder buffers: " + Object.keys(drops).filter((k) => !k.startsWith("console")).map((k) => k + " " + drops[k]).join(", ") +
      "; console (lossy by design): events " + drops.console_events + ", updates " + drops.console_frames + "; " + state.clients + " console(s) open";
    $("latency-window").textContent = "(last " + fmt(l.seconds, 0) + " s, " + l.count + " windows; arrival of the last sample → datagram)";
    const max = Math.max(1, ...l.bins.map((b) => b.count));
    $("latency-hist").replaceChildren(...l.bins.map((b) => {
      const bar = el("div", { title: "≤ " + b.le + " ms: " + b.count });
      bar.style.height = (100 * b.count / max) + "%";
      bar.append(el("span", {}, b.le === "+Inf" ? ">" : b.le));
      return bar;
    }));
  }

  // ---- model -------------------------------------------------------------------------------
  function renderModel(m) {
    if (!m) { $("model").replaceChildren(el("dd", {}, "no model loaded")); return; }
    if (m.id === modelId) return;
    modelId = m.id;
    const facts = [["id", m.id], ["pipeline", m.pipeline], ["method", m.method || "–"], ["classes", m.classes.join(", ")],
      ["sources", m.sources.length ? m.sources.join(", ") : "–"], ["target", m.target || "–"], ["file", m.file],
      ["written", m.written ? new Date(m.written).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "–"]];
    $("model").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-fact": k }, v)]));
    const table = $("report");
    table.replaceChildren();
    if (m.report.length) {
      const head = el("tr");
      ["method", "accuracy", "balanced"].forEach((h) => head.append(el("th", {}, h)));
      table.append(head);
      for (const r of m.report) {
        const tr = el("tr", { class: r.chosen ? "chosen" : "" });
        tr.append(el("td", {}, r.method + (r.chosen ? " (model)" : "")), el("td", { class: "n" }, fmt(r.accuracy, 3)), el("td", { class: "n" }, fmt(r.balancedAccuracy, 3)));
        table.append(tr);
      }
    } else {
      table.append(el("caption", { class: "hint" }, m.reportProblem || "no calibration report beside the model file"));
    }
    const files = m.files.filter((f) => !f.endsWith(".png")).concat(m.files.filter((f) => f.endsWith(".png")));
    $("figures").replaceChildren(...files.map((f) => {
      const a = el("a", { href: f, target: "_blank" });
      if (f.endsWith(".png")) a.append(el("img", { src: f, alt: f.replace("report/", "") }));
      else a.textContent = "report (HTML)";
      return a;
    }));
  }

  // ---- calibrator --------------------------------------------------------------------------
  function renderCalibrator(c, control) {
    let text;
    if (!c.enabled) text = "off";
    else if (c.state === "calibrating") text = "calibrating…";
    else if (c.targetSeconds > 0) text = "collecting " + fmt(c.collectedSeconds / 60, 1) + " of " + fmt(c.targetSeconds / 60, 1) + " min";
    else text = "collecting " + fmt(c.collectedSeconds / 60, 1) + " min (calibrates when asked)";
    $("calibrator").textContent = text;
    $("calibrator-last").textContent = c.last ? "last: " + c.last : c.runs ? "" : "no calibration yet";
    $("calibrate").hidden = !control;
    $("read-only").hidden = control;
  }

  function render() {
    pending = false;
    const s = latest;
    if (!s) return;
    $("stream").textContent = s.stream.source ? s.stream.source + " · " + fmt(s.stream.rateHz, 0) + " Hz · " + s.stream.channels + " channels" + (s.stream.subject ? " · " + s.stream.subject : "") +
      (s.stream.connected ? "" : " · no signal") : "no stream yet";
    renderChannels(s.channels);
    renderSignal(s.signal);
    renderProbabilities(s.decisions);
    renderCommands(s);
    renderMonitoring(s);
    renderModel(s.model);
    renderCalibrator(s.calibrator, s.control);
  }

  $("calibrate").addEventListener("click", async () => {
    const answer = $("calibrate-answer");
    answer.textContent = "asking…";
    try {
      const r = await fetch("calibrate", { method: "POST" });
      answer.textContent = r.status + ": " + (await r.text());
    } catch (e) {
      answer.textContent = "failed: " + e;
    }
  });

  window.addEventListener("resize", () => {
    if (probPlot) probPlot.setSize({ width: width($("prob-chart")), height: 220 });
    signalPlots.forEach((p) => p.setSize({ width: width($("signal-charts")), height: 95 }));
  });

  const events = new EventSource("events");
  events.onopen = () => { $("status").textContent = "live"; $("status").dataset.state = "live"; };
  events.onerror = () => { $("status").textContent = "connection lost; retrying"; $("status").dataset.state = "lost"; };
  events.onmessage = (m) => {
    latest = JSON.parse(m.data);
    if (!pending) { pending = true; requestAnimationFrame(render); }
  };
})();
