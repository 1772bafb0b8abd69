// The demo shop: lists products from its backend (sightline-demo-shop), keeps a cart, and checks
// out through the backend, whose payment step fails with a 500 in this release; the page turns
// that into an uncaught error. Both requests go to the page's own origin, so Sightline's recorder
// adds its trace headers and the backend's Sentry SDK continues the trace.
"use strict";

const cart = [];

function formatPrice(cents) {
  return "€" + (cents / 100).toFixed(2);
}

function renderCart() {
  const items = document.getElementById("cart-items");
  items.replaceChildren(
    ...cart.map((product) => {
      const li = document.createElement("li");
      li.textContent = product.name + " — " + formatPrice(product.price_cents);
      return li;
    }),
  );
  const total = cart.reduce((sum, product) => sum + product.price_cents, 0);
  document.getElementById("cart-total").textContent = formatPrice(total);
  document.getElementById("cart-count").textContent =
    "Cart: " + cart.length + (cart.length === 1 ? " item" : " items");
  document.getElementById("checkout").disabled = cart.length === 0;
}

function renderProducts(products) {
  const list = document.getElementById("products");
  for (const product of products) {
    const card = document.createElement("div");
    card.className = "product";
    const name = document.createElement("h2");
    name.textContent = product.name;
    const price = document.createElement("p");
    price.className = "price";
    price.textContent = formatPrice(product.price_cents);
    const add = document.createElement("button");
    add.className = "add";
    add.dataset.product = String(product.id);
    add.textContent = "Add to cart";
    add.addEventListener("click", () => {
      cart.push(product);
      renderCart();
    });
    card.append(name, price, add);
    list.append(card);
  }
  document.getElementById("status").textContent = products.length + " products";
}

function showNotice(kind, text) {
  const notice = document.getElementById("notice");
  notice.className = "notice " + kind;
  notice.textContent = text;
}

async function checkout() {
  const button = document.getElementById("checkout");
  button.disabled = true;
  button.textContent = "Paying…";
  const response = await fetch("/api/checkout", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ items: cart.map((product) => product.id) }),
  });
  button.textContent = "Checkout";
  button.disabled = false;
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    showNotice("error", "Payment failed: " + (body.error || response.statusText));
    throw new Error("Checkout failed with HTTP " + response.status + ": " + (body.error || ""));
  }
  showNotice("ok", "Order placed!");
}

document.getElementById("checkout").addEventListener("click", () => {
  // Left unhandled on purpose: the demo's bug surfaces as an unhandled rejection.
  checkout();
});

fetch("/api/products")
  .then((response) => response.json())
  .then(renderProducts)
  .catch((error) => {
    document.getElementById("status").textContent = "Could not load products: " + error;
  });
