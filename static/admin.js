// The live weighted length of a post being edited in the admin review queue. The server counts (with the
// twitter-text rules the publisher uses, so the number is the one X will apply); this script only asks it, once the
// operator pauses typing for 300 ms, and ignores answers that arrive out of order. Without the script the page shows
// the proposed text's length and the server checks the edited text when the form is sent.
(function () {
  "use strict";
  var DELAY_MS = 300;
  document.querySelectorAll("textarea[data-length-for]").forEach(function (area) {
    var output = document.getElementById(area.getAttribute("data-length-for"));
    var csrf = area.form && area.form.querySelector("input[name=csrf]");
    if (!output || !csrf) {
      return;
    }
    var timer = null;
    var asked = 0;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++asked;
        var body = new URLSearchParams();
        body.set("csrf", csrf.value);
        body.set("text", area.value);
        fetch("/admin/length", { method: "POST", body: body, credentials: "same-origin" })
          .then(function (response) {
            return response.ok ? response.json() : Promise.reject(response.status);
          })
          .then(function (answer) {
            if (mine !== asked) {
              return;
            }
            output.textContent = answer.length + " / " + answer.max;
            output.classList.toggle("over", !answer.fits);
          })
          .catch(function () {
            // The server checks again on submit; a lost count only leaves the previous one shown.
          });
      }, DELAY_MS);
    });
  });
})();
