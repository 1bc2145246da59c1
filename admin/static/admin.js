// Share/copy buttons and confirmations; the admin works without this file.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.dataset.copy);
  let copied = false;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(input.value);
      copied = true;
    } catch (error) {
      copied = false;
    }
  }
  input.focus();
  input.select();
  if (!copied) {
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
  }
  const hint = button.closest("section, div").parentElement.querySelector("[data-copied]");
  if (hint) {
    hint.hidden = false;
    hint.textContent = copied
      ? "Copied the link. Paste it to your client."
      : "The link is selected: press Ctrl-C (or ⌘-C) to copy it.";
  }
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
