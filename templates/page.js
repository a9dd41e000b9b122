// REPORT.html's behaviour. The page is whole without it; with it: a filter kept in the
// URL hash (#q=TEXT&show=error,test), zoom on the timeline, screenshots that enlarge and
// keys to move between cards. It reads the page only: nothing is fetched.
(function () {
  "use strict";
  var q = document.getElementById("q");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=sev]"));
  var cards = Array.prototype.slice.call(document.querySelectorAll("[data-search]"));
  var shown = document.getElementById("shown");

  function readHash() {
    var h = location.hash.slice(1);
    if (h.indexOf("q=") !== 0 && h.indexOf("show=") !== 0) return null;
    var out = {};
    h.split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    });
    return out;
  }

  function apply(writeHash) {
    var text = (q.value || "").toLowerCase().trim();
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    var n = 0;
    cards.forEach(function (c) {
      var ok = on[c.getAttribute("data-kind")] !== false && (!text || c.getAttribute("data-search").indexOf(text) >= 0);
      if (ok) { c.removeAttribute("hidden"); n++; } else { c.setAttribute("hidden", ""); }
    });
    shown.textContent = n + " of " + cards.length + " shown";
    if (writeHash) {
      var off = boxes.filter(function (b) { return !b.checked; }).length;
      var parts = [];
      if (text) parts.push("q=" + encodeURIComponent(text));
      if (off) parts.push("show=" + boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }).join(","));
      history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname + location.search);
    }
  }

  function load() {
    var f = readHash();
    if (!f) { apply(false); return; }
    q.value = f.q || "";
    if (f.show !== undefined) {
      var want = f.show.split(",");
      boxes.forEach(function (b) { b.checked = want.indexOf(b.value) >= 0; });
    }
    apply(false);
  }

  q.addEventListener("input", function () { apply(true); });
  boxes.forEach(function (b) { b.addEventListener("change", function () { apply(true); }); });
  window.addEventListener("hashchange", load);
  load();

  // Zoom: every drawn element carries its times (data-s, data-e, Unix ms); a range of
  // the run redraws them on the same scale the page was rendered with.
  var tl = document.querySelector(".tl");
  if (tl) {
    var T0 = +tl.getAttribute("data-t0"), T1 = +tl.getAttribute("data-t1");
    var X0 = 258, X1 = 990;
    var zoom = document.querySelector(".zoom");
    var from = document.getElementById("zoom-from"), to = document.getElementById("zoom-to");
    var els = Array.prototype.slice.call(tl.querySelectorAll("[data-s]"));
    var ticks = Array.prototype.slice.call(tl.querySelectorAll(".axis .tick"));
    zoom.removeAttribute("hidden");
    var offset = function (ms) {
      var s = Math.round(ms / 1000), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
      var pad = function (v) { return (v < 10 ? "0" : "") + v; };
      return "+" + (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s % 60);
    };
    var draw = function () {
      var a = Math.min(+from.value, +to.value - 1), b = Math.max(+to.value, a + 1);
      var s = T0 + (T1 - T0) * a / 1000, e = T0 + (T1 - T0) * b / 1000;
      var x = function (t) { return X0 + (t - s) / (e - s) * (X1 - X0); };
      els.forEach(function (el) {
        var t = +el.getAttribute("data-s"), end = +(el.getAttribute("data-e") || 0);
        var out = (end ? end : t) < s || t > e;
        el.classList.toggle("zoomed-out", out);
        if (out) return;
        if (el.tagName === "circle") { el.setAttribute("cx", x(t)); return; }
        var l = Math.max(x(t), X0), r = Math.min(x(end || t), X1);
        el.setAttribute("x", l);
        el.setAttribute("width", Math.max(r - l, 1.5));
      });
      ticks.forEach(function (g, i) {
        var tx = X0 + (X1 - X0) * i / Math.max(ticks.length - 1, 1);
        g.querySelector("line").setAttribute("x1", tx);
        g.querySelector("line").setAttribute("x2", tx);
        var label = g.querySelector("text");
        label.setAttribute("x", tx);
        label.textContent = offset(s - T0 + (e - s) * i / Math.max(ticks.length - 1, 1));
      });
      tl.setAttribute("data-zoom", a + "-" + b);
    };
    from.addEventListener("input", draw);
    to.addEventListener("input", draw);
    document.getElementById("zoom-reset").addEventListener("click", function () { from.value = 0; to.value = 1000; draw(); });
    // Drag across a lane group to zoom into that range.
    var start = null;
    tl.addEventListener("mousedown", function (ev) {
      var svg = ev.target.closest && ev.target.closest("svg");
      if (!svg || ev.target.closest("a")) return;
      var box = svg.getBoundingClientRect();
      start = { svg: box, x: ev.clientX };
    });
    tl.addEventListener("mouseup", function (ev) {
      if (!start) return;
      var box = start.svg, x0 = Math.min(start.x, ev.clientX), x1 = Math.max(start.x, ev.clientX);
      start = null;
      if (x1 - x0 < 8) return;
      var unit = function (cx) { return ((cx - box.left) / box.width * 1000 - X0) / (X1 - X0); };
      var a = +from.value, b = +to.value;
      var na = a + (b - a) * Math.max(0, unit(x0)), nb = a + (b - a) * Math.min(1, unit(x1));
      from.value = Math.round(na);
      to.value = Math.round(nb);
      draw();
    });
  }

  // Screenshots enlarge on click or Enter.
  Array.prototype.slice.call(document.querySelectorAll(".shot")).forEach(function (img) {
    var flip = function () { img.classList.toggle("big"); };
    img.addEventListener("click", flip);
    img.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === "Escape") flip(); });
  });

  // Keys: / to filter, j and k to move between the shown cards.
  document.addEventListener("keydown", function (ev) {
    var tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "/") { ev.preventDefault(); q.focus(); return; }
    if (ev.key !== "j" && ev.key !== "k") return;
    var visible = cards.filter(function (c) { return !c.hasAttribute("hidden"); });
    if (!visible.length) return;
    var i = visible.indexOf(document.activeElement);
    i = ev.key === "j" ? Math.min(i + 1, visible.length - 1) : Math.max(i - 1, 0);
    visible[i].focus();
    visible[i].scrollIntoView({ block: "start" });
  });

  // When the page became interactive, in ms since navigation (the benchmark reads it).
  document.documentElement.setAttribute("data-ready", String(Math.round(performance.now())));
})();
