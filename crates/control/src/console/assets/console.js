// assocd console: the one script. A page region marked data-refresh="<seconds>" is fetched
// again at that pace while the page is open and swapped in place, unless the reader has
// opened a body (a <details>) in it or unticked its "refresh" box. No framework, no build.
"use strict";
(function () {
  function refresh(region) {
    var every = Math.max(1, parseInt(region.getAttribute("data-refresh"), 10) || 3) * 1000;
    var toggle = document.getElementById(region.id + "-auto");
    function due() {
      if (document.hidden) return false;
      if (toggle && !toggle.checked) return false;
      return !region.querySelector("details[open]");
    }
    function tick() {
      if (!due()) return;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (res) {
          if (res.redirected || !res.ok) throw new Error("status " + res.status);
          return res.text();
        })
        .then(function (text) {
          var doc = new DOMParser().parseFromString(text, "text/html");
          var fresh = doc.getElementById(region.id);
          if (fresh && due()) {
            region.innerHTML = fresh.innerHTML;
            region.setAttribute("data-refreshed", String(Date.now()));
          }
        })
        .catch(function () { /* the next tick tries again */ });
    }
    window.setInterval(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var regions = document.querySelectorAll("[data-refresh]");
    for (var i = 0; i < regions.length; i++) refresh(regions[i]);
  });
})();
