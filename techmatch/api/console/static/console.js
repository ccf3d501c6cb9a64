// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Opening a reject box moves focus to its reason, so keyboard users land where they type.
  document.querySelectorAll("details.reject").forEach(function (box) {
    box.addEventListener("toggle", function () {
      var first = box.querySelector("select, textarea, input");
      if (box.open && first) { first.focus(); }
    });
  });
  // Ask before a destructive post (e.g. dropping a docking).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
