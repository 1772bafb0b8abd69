//! The browser and operating system of a recorded session, read from its user agent string
//! (the recorder's `Meta` event) for the metadata panel.

/// Longest user agent string read; real ones are a few hundred bytes.
pub const MAX_USER_AGENT: usize = 1_024;

/// What a user agent string says about the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserInfo {
    /// `Chrome`, `Firefox`, `Safari`, `Edge`, … or `Unknown browser`.
    pub name: String,
    /// The major version, when found.
    pub major: Option<String>,
    /// `Windows`, `macOS`, `iOS 17`, `Android 14`, `Linux`, …, when found.
    pub os: Option<String>,
}

impl BrowserInfo {
    /// `Chrome 120`, or just the name when the version is unknown.
    pub fn browser(&self) -> String {
        match &self.major {
            Some(major) => format!("{} {major}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Reads a user agent string (only its first [`MAX_USER_AGENT`] bytes).
pub fn parse_user_agent(user_agent: &str) -> BrowserInfo {
    let end = (0..=user_agent.len().min(MAX_USER_AGENT))
        .rev()
        .find(|i| user_agent.is_char_boundary(*i))
        .unwrap_or(0);
    let ua = &user_agent[..end];
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    const BROWSERS: [(&str, &str); 14] = [
        ("Edg/", "Edge"),
        ("EdgA/", "Edge"),
        ("EdgiOS/", "Edge"),
        ("Edge/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
        ("Safari/", "Safari"),
    ];
    let (name, major) = BROWSERS
        .iter()
        .find_map(|(token, name)| {
            let version = version_after(ua, token)?;
            // `Version/` is Safari's only when the string says Safari.
            (*token != "Version/" || ua.contains("Safari/")).then_some((*name, version))
        })
        .map_or(("Unknown browser", None), |(name, version)| {
            // `Safari/605.1.15` is WebKit's build, not Safari's version.
            let major = (name != "Safari" || ua.contains("Version/"))
                .then(|| major(version))
                .flatten();
            (name, major)
        });
    BrowserInfo {
        name: name.to_owned(),
        major,
        os: operating_system(ua),
    }
}

fn operating_system(ua: &str) -> Option<String> {
    if let Some(version) = version_after(ua, "iPhone OS ") {
        return Some(with_major("iOS", version));
    }
    if let Some(version) = version_after(ua, "CPU OS ") {
        return Some(with_major("iPadOS", version));
    }
    if ua.contains("iPhone") || ua.contains("iPad") {
        return Some("iOS".to_owned());
    }
    if let Some(version) = version_after(ua, "Android ") {
        return Some(with_major("Android", version));
    }
    let os = if ua.contains("Android") {
        "Android"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        return None;
    };
    Some(os.to_owned())
}

/// The version text right after `token` (digits, dots and underscores).
fn version_after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    let version = &rest[..end];
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then_some(version)
}

fn major(version: &str) -> Option<String> {
    let major = version.split(['.', '_']).next()?;
    (!major.is_empty()).then(|| major.to_owned())
}

fn with_major(name: &str, version: &str) -> String {
    match major(version) {
        Some(major) => format!("{name} {major}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(ua: &str) -> (String, Option<String>) {
        let info = parse_user_agent(ua);
        (info.browser(), info.os)
    }

    #[test]
    fn common_browsers_and_systems() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
                "Chrome 120",
                Some("Windows"),
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
                "Safari 17",
                Some("macOS"),
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox 121",
                Some("Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Edge 120",
                Some("Windows"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1",
                "Chrome 119",
                Some("iOS 17"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
                "Chrome 120",
                Some("Android 14"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36",
                "Headless Chrome 131",
                Some("Linux"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
                "Opera 106",
                Some("Windows"),
            ),
        ];
        for (ua, browser, os) in cases {
            assert_eq!(
                summary(ua),
                (browser.to_owned(), os.map(str::to_owned)),
                "{ua}"
            );
        }
    }

    #[test]
    fn unknown_or_hostile_strings_are_read_safely() {
        assert_eq!(summary(""), ("Unknown browser".to_owned(), None));
        assert_eq!(summary("curl/8.4.0"), ("Unknown browser".to_owned(), None));
        // WebKit's build number is not Safari's version.
        assert_eq!(summary("AppleWebKit Safari/605.1.15").0, "Safari");
        // Only the start of a huge string is read, and multi-byte text is cut cleanly.
        let huge = format!("{}Firefox/99.0", "é".repeat(MAX_USER_AGENT));
        assert_eq!(summary(&huge), ("Unknown browser".to_owned(), None));
        assert_eq!(
            summary("Chrome/x Firefox/"),
            ("Unknown browser".to_owned(), None)
        );
    }
}
