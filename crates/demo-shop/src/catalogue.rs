//! The shop's catalogue: what `GET /api/products` lists and what checkout prices a cart with.

use axum::Json;
use serde::Serialize;

/// A product on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Stable id the page puts in the cart.
    pub id: u32,
    /// Display name.
    pub name: &'static str,
    /// Price in euro cents.
    pub price_cents: u64,
    /// ISO 4217 currency code.
    pub currency: &'static str,
}

/// Everything the shop sells.
pub const CATALOGUE: [Product; 4] = [
    Product {
        id: 1,
        name: "Trail Running Shoes",
        price_cents: 12900,
        currency: "EUR",
    },
    Product {
        id: 2,
        name: "Merino Wool Socks",
        price_cents: 1900,
        currency: "EUR",
    },
    Product {
        id: 3,
        name: "Rain Jacket",
        price_cents: 18900,
        currency: "EUR",
    },
    Product {
        id: 4,
        name: "Headlamp",
        price_cents: 4500,
        currency: "EUR",
    },
];

/// The product with `id`, if the shop sells it.
pub fn find_product(id: u32) -> Option<&'static Product> {
    CATALOGUE.iter().find(|product| product.id == id)
}

/// `GET /api/products`: the catalogue as JSON.
pub async fn list_products() -> Json<&'static [Product]> {
    Json(&CATALOGUE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_are_found_by_id_only_when_sold() {
        assert_eq!(find_product(3).map(|p| p.name), Some("Rain Jacket"));
        assert_eq!(find_product(99), None);
    }
}
