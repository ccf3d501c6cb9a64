// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Opening a reject box moves focus to its reason, so keyboard users land where they type.
  document.querySelectorAll("details.reject").forEach(function (box) {
    box.addEventListener("toggle", function () {
      var first = box.querySelector("select, textarea, input");
      if (box.open && first) { first.focus(); }
    });
  });
  // 推进 / 终止: dropping needs a reason (and 其他 a note); say so beside the field, in
  // Chinese, and keep what was typed, instead of posting and landing on an error page.
  document.querySelectorAll("form.move-form").forEach(function (form) {
    function mark(field, message) {
      var id = "err-" + field.id;
      var old = document.getElementById(id);
      if (old) { old.remove(); }
      if (!message) {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
        return;
      }
      var note = document.createElement("span");
      note.className = "field-error";
      note.id = id;
      note.textContent = message;
      field.insertAdjacentElement("afterend", note);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", id);
    }
    form.addEventListener("submit", function (event) {
      var to = form.querySelector("select[name=to]");
      var reason = form.querySelector("select[name=reason]");
      var note = form.querySelector("input[name=reason_note]");
      if (!to || !reason || !note) { return; }
      var dropping = to.value === "dropped";
      var noReason = dropping && !reason.value;
      var noNote = dropping && reason.value === "other" && !note.value.trim();
      mark(reason, noReason ? reason.getAttribute("data-message") : "");
      mark(note, noNote ? note.getAttribute("data-message") : "");
      if (noReason || noNote) {
        event.preventDefault();
        event.stopImmediatePropagation();
        (noReason ? reason : note).focus();
      }
    });
  });
  // Ask before a destructive post (e.g. dropping a docking).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
