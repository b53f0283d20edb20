// Behaviour of the ERP's pages, kept out of the HTML so that the Content-Security-Policy allows no inline script.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});
