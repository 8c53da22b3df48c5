// dispatch preview: tabs, iframes sized to their content, live reload over Server-Sent
// Events that keeps the scroll position and the open tab.
(() => {
  "use strict";
  const KEY = "dispatch-preview:" + location.pathname;
  const tabs = Array.from(document.querySelectorAll(".tab"));
  const panels = Array.from(document.querySelectorAll(".panel"));

  function show(name) {
    if (!panels.length) return;
    if (!panels.some((p) => p.dataset.panel === name)) name = panels[0].dataset.panel;
    panels.forEach((p) => { p.hidden = p.dataset.panel !== name; });
    tabs.forEach((t) => t.classList.toggle("active", t.dataset.tab === name));
    document.querySelectorAll("iframe.autosize").forEach(fit);
  }
  tabs.forEach((t) => t.addEventListener("click", (ev) => {
    ev.preventDefault();
    history.replaceState(null, "", "#" + t.dataset.tab);
    show(t.dataset.tab);
  }));
  // Scroll position survives a reload: saved before, restored while the frames grow.
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
  const loadedAt = Date.now();
  function restore() {
    if (saved && typeof saved.y === "number" && Date.now() - loadedAt < 3000) window.scrollTo(0, saved.y);
  }
  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify({ y: window.scrollY })); } catch (e) { /* private mode */ }
  }
  window.addEventListener("scroll", () => { if (Date.now() - loadedAt > 3000) saved = null; }, { passive: true });
  window.addEventListener("beforeunload", save);

  function fit(frame) {
    try {
      const doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      const h = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
      if (h > 0) frame.style.height = h + "px";
    } catch (e) { /* not same-origin */ }
    restore();
  }
  document.querySelectorAll("iframe.autosize").forEach((f) => {
    f.addEventListener("load", () => {
      fit(f);
      setTimeout(() => fit(f), 250);
      setTimeout(() => fit(f), 1000);
      f.contentDocument && f.contentDocument.querySelectorAll("img").forEach((img) =>
        img.addEventListener("load", () => fit(f)));
    });
  });
  show(location.hash.slice(1) || "email");
  restore();

  // Live reload.
  const live = document.getElementById("live");
  if (!window.EventSource) return;
  const source = new EventSource("/_events");
  source.addEventListener("hello", () => { if (live) live.classList.add("on"); });
  source.addEventListener("reload", () => {
    if (live) live.classList.add("busy");
    save();
    location.reload();
  });
  source.onerror = () => { if (live) live.classList.remove("on"); };
})();
