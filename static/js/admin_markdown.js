/* Live preview of an event's Markdown description in the admin. Without it, the preview
   shows the saved description. */
(function () {
  "use strict";
  function start() {
    var body = document.getElementById("id_body");
    var preview = document.querySelector(".markdown-preview[data-preview-url]");
    if (!body || !preview) { return; }
    var token = document.querySelector("[name=csrfmiddlewaretoken]");
    var timer = null;
    function refresh() {
      var data = new FormData();
      data.append("body", body.value);
      fetch(preview.getAttribute("data-preview-url"), {
        method: "POST",
        body: data,
        headers: {"X-CSRFToken": token ? token.value : ""},
        credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        if (html !== null) { preview.innerHTML = html; }  // sanitised by the server (nh3)
      });
    }
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
