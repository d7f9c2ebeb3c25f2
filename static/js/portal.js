/* Small enhancements; every page works without them. No inline script: CSP allows 'self'. */
(function () {
  "use strict";

  // Offer the browser's time zone to someone who has not chosen one (the server maps old
  // aliases such as Asia/Calcutta to their current name).
  function suggestTimeZone() {
    var banner = document.getElementById("tz-suggest");
    if (!banner || !window.Intl) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) { return; }
    var form = banner.querySelector("[data-tz-js]");
    form.querySelector("[name=time_zone]").value = zone;
    form.querySelector("[data-tz-name]").textContent = zone;
    form.hidden = false;
    banner.querySelector("[data-tz-nojs]").hidden = true;
  }

  // A search box that narrows a long <select> of zones to the matching places.
  function searchableZones() {
    var selects = document.querySelectorAll("select[data-zone-search]");
    Array.prototype.forEach.call(selects, function (select) {
      var box = document.createElement("input");
      box.type = "search";
      box.id = select.id + "-search";
      box.className = "zone-search";
      box.setAttribute("autocomplete", "off");
      var label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = select.getAttribute("data-search-label") || "Search time zones";
      var wrap = document.createElement("div");
      wrap.className = "field";
      wrap.appendChild(label);
      wrap.appendChild(box);
      select.parentNode.insertBefore(wrap, select.parentNode.firstChild);
      box.addEventListener("input", function () {
        var query = box.value.trim().toLowerCase().replace(/ /g, "_");
        var first = null;
        Array.prototype.forEach.call(select.querySelectorAll("option"), function (option) {
          var text = (option.value + " " + option.textContent).toLowerCase().replace(/ /g, "_");
          var match = !query || text.indexOf(query) !== -1;
          option.hidden = !match;
          if (match && option.value && !first) { first = option; }
        });
        Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
          group.hidden = !group.querySelector("option:not([hidden])");
        });
        if (query && first) { select.value = first.value; }
      });
    });
  }

  // Copy a value (the calendar feed link) to the clipboard, and say so.
  function copyButtons() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy-target"));
        var status = document.getElementById(button.getAttribute("data-copy-status"));
        var done = function () { if (status) { status.textContent = button.getAttribute("data-copied"); } };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(done, function () {
            input.select(); document.execCommand("copy"); done();
          });
        } else {
          input.select(); document.execCommand("copy"); done();
        }
      });
    });
  }

  // On a phone, fold the filters so the results are on the first screen (unless some are set).
  function foldFilters() {
    if (!window.matchMedia || !window.matchMedia("(max-width: 40rem)").matches) { return; }
    var disclosures = document.querySelectorAll("details[data-fold-on-phone]");
    Array.prototype.forEach.call(disclosures, function (details) {
      if (details.getAttribute("data-active-filters") === "0") { details.open = false; }
    });
  }

  function start() { suggestTimeZone(); searchableZones(); copyButtons(); foldFilters(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
