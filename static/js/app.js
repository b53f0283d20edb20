// Behaviour of the ERP's pages, kept out of the HTML so that the Content-Security-Policy allows no inline script.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});

// A form with data-confirm asks before it is sent (the payment's "Delete payment", for one).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-confirm") &&
      !window.confirm(form.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
