//! Single-page navigation: which URL changes are recorded, and as what.

use sightline_protocol::v1::NavigationKind;

/// The navigation to record when the page's URL went from `previous` to `next` and the browser
/// reported it as `reported`; `None` when the URL did not change (a state-only `replaceState`, or
/// the `hashchange` that follows the `popstate` of the same fragment change). Back/forward
/// between URLs that differ only in their fragment is reported as [`NavigationKind::Hash`].
pub fn navigation_kind(
    previous: &str,
    next: &str,
    reported: NavigationKind,
) -> Option<NavigationKind> {
    if previous == next {
        return None;
    }
    let document = |url: &str| url.split('#').next().unwrap_or_default().to_owned();
    if reported == NavigationKind::Pop && document(previous) == document(next) {
        return Some(NavigationKind::Hash);
    }
    Some(reported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_urls_are_not_navigations() {
        let url = "https://shop.example/cart?x=1";
        assert_eq!(navigation_kind(url, url, NavigationKind::Replace), None);
        assert_eq!(navigation_kind(url, url, NavigationKind::Hash), None);
    }

    #[test]
    fn fragment_changes_are_hash_navigations() {
        let from = "https://shop.example/cart";
        let to = "https://shop.example/cart#pay";
        assert_eq!(
            navigation_kind(from, to, NavigationKind::Pop),
            Some(NavigationKind::Hash)
        );
        assert_eq!(
            navigation_kind(to, from, NavigationKind::Pop),
            Some(NavigationKind::Hash)
        );
        assert_eq!(
            navigation_kind(from, to, NavigationKind::Push),
            Some(NavigationKind::Push)
        );
        assert_eq!(
            navigation_kind(from, "https://shop.example/", NavigationKind::Pop),
            Some(NavigationKind::Pop)
        );
    }
}
