//! The demo shop's failing checkout, as a user does it in the browser: open the shop, put two
//! products in the cart, click checkout, see the error notice. The end-to-end tests that need a
//! recorded session with a backend 500 in it all start here.

use std::time::Duration;

use anyhow::Result;

use crate::browser::Browser;

/// Opens the shop page at `{shop_base}/`, waits until its products are listed and the recorder
/// has a replay id, and puts products 1 and 3 in the cart.
///
/// # Errors
/// When the page does not load, the recorder does not start within 30 s, or a click fails.
pub fn fill_cart(browser: &Browser, shop_base: &str) -> Result<()> {
    browser.goto(&format!("{shop_base}/"))?;
    browser.wait_until(
        "document.querySelectorAll('.add').length >= 3 && window.Sightline && Sightline.getReplayId()",
        Duration::from_secs(30),
    )?;
    browser.click(".add[data-product='1']")?;
    browser.click(".add[data-product='3']")
}

/// Clicks checkout on a shop page whose cart [`fill_cart`] filled, waits for the error notice
/// (the payments service answers 500) and uploads the recording; the replay id.
///
/// # Errors
/// When the notice does not show within 10 s or the recording cannot be flushed.
pub fn check_out(browser: &Browser) -> Result<String> {
    browser.click("#checkout")?;
    browser.wait_until(
        "document.querySelector('#notice.error')",
        Duration::from_secs(10),
    )?;
    browser.flush_recording()
}
