// bizroute handbook search: runs from file:// with no server. The index is a script
// (search-index.js sets window.BIZROUTE_SEARCH), because browsers refuse fetch() on file://.
// Text is compared after the same normalisation the engine applies to customers' words:
// NFKC, lower case, no white space, traditional characters to simplified.
(function () {
  "use strict";
  var data = window.BIZROUTE_SEARCH;
  var input = document.getElementById("search");
  var results = document.getElementById("results");
  var browse = document.getElementById("browse");
  if (!data || !input || !results) { return; }
  var KINDS = { category: "业务类别", document: "资料", department: "部门", workflow: "流程" };
  var ORDER = { category: 0, document: 1, workflow: 2, department: 3 };

  function norm(text) {
    var s = String(text || "").normalize("NFKC").toLowerCase().replace(/\s+/g, "");
    var out = "";
    for (var ch of s) { out += data.t2s[ch] || ch; }
    return out;
  }

  var entries = data.entries.map(function (e) {
    return {
      e: e,
      name: norm(e.name),
      keys: e.keys.map(norm),
      terms: e.terms.map(function (t) { return [norm(t), t]; }),
      text: norm(e.text)
    };
  });

  function score(item, q) {
    if (item.name === q) { return [300, ""]; }
    if (item.name.indexOf(q) >= 0) { return [200, ""]; }
    for (var k of item.keys) {
      if (k && k.indexOf(q) >= 0) { return [150, ""]; }
    }
    var best = null;
    for (var pair of item.terms) {
      var t = pair[0];
      if (!t) { continue; }
      // the customer's words hold a term ("家里没电了" holds "没电"), or the query is part of one
      if ((t.length >= 2 && q.indexOf(t) >= 0) || t.indexOf(q) >= 0) {
        if (best === null || t.length > best[0].length) { best = pair; }
      }
    }
    if (best !== null) { return [100 + Math.min(best[0].length, 20), best[1]]; }
    if (item.text.indexOf(q) >= 0) { return [20, ""]; }
    return [0, ""];
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function render(raw) {
    var q = norm(raw);
    results.textContent = "";
    if (!q) {
      results.classList.add("hidden");
      if (browse) { browse.classList.remove("hidden"); }
      return;
    }
    if (browse) { browse.classList.add("hidden"); }
    results.classList.remove("hidden");
    var found = [];
    for (var item of entries) {
      var s = score(item, q);
      if (s[0] > 0) { found.push([s[0], s[1], item.e]); }
    }
    found.sort(function (a, b) {
      return b[0] - a[0] || ORDER[a[2].kind] - ORDER[b[2].kind] ||
        (a[2].name < b[2].name ? -1 : a[2].name > b[2].name ? 1 : 0);
    });
    var heading = el("p", "meta", "找到 " + found.length + " 项 · " + found.length + " result(s)");
    results.appendChild(heading);
    if (!found.length) {
      results.appendChild(el("p", "none", "没有找到匹配的业务、资料、部门或流程。No match."));
      return;
    }
    var list = el("ol");
    for (var hit of found.slice(0, 40)) {
      var e = hit[2];
      var li = el("li", "hit " + e.kind);
      li.appendChild(el("span", "kind", KINDS[e.kind] || e.kind));
      var a = el("a", "", e.name);
      a.href = e.url;
      li.appendChild(a);
      if (e.en) { li.appendChild(el("span", "en", e.en)); }
      if (e.group) { li.appendChild(el("span", "en", "· " + e.group)); }
      if (hit[1]) { li.appendChild(el("div", "why", "匹配客户说法「" + hit[1] + "」")); }
      list.appendChild(li);
    }
    results.appendChild(list);
  }

  function fromHash() {
    var m = /(?:^#|&)q=([^&]*)/.exec(window.location.hash);
    return m ? decodeURIComponent(m[1]) : "";
  }

  input.addEventListener("input", function () {
    render(input.value);
    // keep the query in the address, so that "back" from a result shows the same results
    try {
      window.history.replaceState(null, "", input.value ?
        "#q=" + encodeURIComponent(input.value) : window.location.pathname);
    } catch (err) { /* some browsers refuse it on file:// pages; the search still works */ }
  });
  var initial = fromHash();
  if (initial) { input.value = initial; }
  render(input.value);
})();
