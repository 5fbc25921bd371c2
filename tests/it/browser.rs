//! The whole site in a real browser: headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs). The test starts chromedriver on a free port and the web server
//! in-process on a seeded fresh database (support::admin_site), then does what a visitor and an operator do: open
//! the deals, filter by shop and minimum discount, search with a typo, open a deal and read its chart and verdict,
//! log in to the admin, edit a queued post (watching the live length change) and approve it (not public until it
//! goes out). Each step fails the
//! test when the page does not show what a person would expect. A second test runs `dealcast demo` and checks that
//! its home page shows the demo shop's product images (and keeps a screenshot of it).
//!
//! Without chromium or chromedriver the test prints SKIPPED and passes, unless `DEALCAST_REQUIRE_BROWSER` is set
//! (as `.ci/run` does), where a missing browser is a failure.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::admin_site::{self, AdminSite, PASSWORD};
use support::demo_process::DemoProcess;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

type Outcome<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long one step may take to show its result (page loads and scripts on a loaded CI machine).
const STEP_DEADLINE: Duration = Duration::from_secs(30);

/// A program on PATH, or at one of `fallbacks`.
fn program(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name));
    on_path.chain(fallbacks.iter().map(PathBuf::from)).find(|candidate| candidate.is_file())
}

/// chromedriver on a free loopback port; killed when dropped.
struct Driver {
    url: String,
    _process: tokio::process::Child,
}

async fn start_chromedriver(binary: &Path) -> Outcome<Driver> {
    // A free port: bound by the OS, released, then given to chromedriver (which has no "port 0" option).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let process = tokio::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(answer) = http.get(format!("{url}/status")).send().await
            && answer.status().is_success()
        {
            return Ok(Driver { url, _process: process });
        }
        if started.elapsed() > STEP_DEADLINE {
            return Err(format!("chromedriver did not answer on port {port} within {STEP_DEADLINE:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the current page is fully there (its footer parsed: the address may change before the new document
/// is) and `ready(url, source)` holds; fails with `what` and the page otherwise.
async fn page_where(driver: &WebDriver, what: &str, ready: impl Fn(&str, &str) -> bool) -> Outcome<String> {
    let started = Instant::now();
    loop {
        // The address can change before the document does: readiness is judged on what the page itself shows.
        let url = driver.current_url().await?.to_string();
        let source = driver.source().await?;
        if source.contains("<footer class=\"site\">") && ready(&url, &source) {
            return Ok(source);
        }
        if started.elapsed() > STEP_DEADLINE {
            return Err(format!("{what}: not shown within {STEP_DEADLINE:?} (at {url}):\n{source}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check(condition: bool, what: &str) -> Outcome {
    if condition { Ok(()) } else { Err(what.to_owned().into()) }
}

/// Whether `page` shows `words` (or, with `shown` false, does not); fails with the page otherwise.
fn shows(page: &str, words: &str, shown: bool, what: &str) -> Outcome {
    if page.contains(words) == shown { Ok(()) } else { Err(format!("{what}:\n{page}").into()) }
}

/// The visible text of `element` once it satisfies `ready`.
async fn text_where(element: &WebElement, what: &str, ready: impl Fn(&str) -> bool) -> Outcome<String> {
    let started = Instant::now();
    loop {
        let text = element.text().await?;
        if ready(&text) {
            return Ok(text);
        }
        if started.elapsed() > STEP_DEADLINE {
            return Err(format!("{what}: still {text:?} after {STEP_DEADLINE:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Everything a visitor and an operator do, in order; the first step that does not show what it should fails.
async fn visit(driver: &WebDriver, site: &AdminSite) -> Outcome {
    let base = &site.base;
    let timings = &mut Vec::<(&str, Duration)>::new();
    let mut step_started = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&str, Duration)>| {
        timings.push((name, step_started.elapsed()));
        step_started = Instant::now();
    };

    // Home: the best deals, real ones worded as such.
    driver.goto(format!("{base}/")).await?;
    let home =
        page_where(driver, "the home page lists the deals", |_, page| page.contains("Chaussures de running Kiprun"))
            .await?;
    shows(&home, "Palette Nude 12 teintes", true, "home shows every shop's deals")?;
    shows(&home, "Vraie promo", true, "home words the verdicts")?;
    lap("home", timings);

    // Filter by shop and minimum real discount: Sephora's palette (-40 %) stays, its mascara (-15 %) and Kiabi go.
    SelectElement::new(&driver.find(By::Css("form.filters select[name=shop]")).await?)
        .await?
        .select_by_value("sephora")
        .await?;
    let min_discount = driver.find(By::Css("form.filters input[name=min_discount]")).await?;
    min_discount.clear().await?;
    min_discount.send_keys("30").await?;
    driver.find(By::Css("form.filters button[type=submit]")).await?.click().await?;
    let filtered = page_where(driver, "the filtered list", |url, _| {
        url.contains("shop=sephora") && url.contains("min_discount=30")
    })
    .await?;
    shows(&filtered, "Palette Nude 12 teintes", true, "the palette (-40 %) matches the filters")?;
    shows(&filtered, "Mascara volume intense", false, "the mascara (-15 %) is below the minimum discount")?;
    shows(&filtered, "Chaussures de running Kiprun", false, "Kiabi's deals are filtered out")?;
    lap("filter", timings);

    // Search with a typo: "chausures" finds the running shoes, and only them.
    driver.goto(format!("{base}/")).await?;
    let search = driver.find(By::Css("form.filters input[name=q]")).await?;
    search.send_keys("chausures").await?;
    search.send_keys(Key::Enter).await?;
    let found =
        page_where(driver, "the search results", |_, page| page.contains("name=\"q\" value=\"chausures\"")).await?;
    shows(&found, "Chaussures de running Kiprun", true, "a typo still finds the shoes")?;
    shows(&found, "Palette Nude 12 teintes", false, "the search does not list unrelated deals")?;
    lap("search", timings);

    // Open the deal: its chart and its verdict in words.
    driver.find(By::LinkText("Chaussures de running Kiprun")).await?.click().await?;
    let shoes = site.offer("Chaussures de running Kiprun");
    let deal = page_where(driver, "the deal page", |url, page| {
        url.ends_with(&format!("/deals/{shoes}")) && page.contains("<svg class=\"chart\"")
    })
    .await?;
    let chart = driver.find(By::Css("svg.chart")).await?;
    check(chart.is_displayed().await?, "the price chart is shown")?;
    check(!driver.find_all(By::Css("svg.chart .price-line")).await?.is_empty(), "the chart draws the price")?;
    shows(&deal, "Vraie promo", true, "the verdict is in words")?;
    shows(&deal, "la réduction réelle est de", true, "the verdict is explained")?;
    lap("deal", timings);

    // Log in to the admin.
    driver.goto(format!("{base}/admin")).await?;
    page_where(driver, "the admin sends to its login", |url, page| {
        url.ends_with("/admin/login") && page.contains("name=\"password\"")
    })
    .await?;
    driver.find(By::Css("input[name=password]")).await?.send_keys(PASSWORD).await?;
    driver.find(By::Css("form.login button[type=submit]")).await?.click().await?;
    page_where(driver, "the admin after login", |url, page| {
        url.ends_with("/admin") && page.contains("File de relecture")
    })
    .await?;
    lap("login", timings);

    // Edit the first queued post, watch the server count its length as it is typed, approve it.
    let post = driver.find(By::Css("article.pending-post")).await?;
    let post_id: i64 = post
        .id()
        .await?
        .and_then(|id| id.strip_prefix("post-").and_then(|n| n.parse().ok()))
        .ok_or("a pending post without its id")?;
    let output = post.find(By::Css("output")).await?;
    let before = output.text().await?;
    let length: usize = before.split(" / ").next().and_then(|n| n.trim().parse().ok()).ok_or("no length shown")?;
    post.find(By::Css("textarea[name=text]")).await?.send_keys(" Vu !").await?;
    let expected = format!("{} / 280", length + 5);
    text_where(&output, "the live length after typing", |text| text == expected).await?;
    post.find(By::Css("form.approve button[type=submit]")).await?.click().await?;
    page_where(driver, "the admin after approving", |url, page| {
        url.contains("done=edited") && page.contains("Publication approuvée avec le texte modifié.")
    })
    .await?;
    check(site.status(post_id).await == "queued", "the approved post is queued in the database")?;
    lap("approve", timings);

    // The public publications page shows only posts that went out: not this one, queued.
    driver.goto(format!("{base}/publications")).await?;
    let publications =
        page_where(driver, "the publications page", |_, page| page.contains("<h1>Publications</h1>")).await?;
    shows(&publications, "Vu !", false, "a queued post is not public")?;
    lap("publications", timings);

    println!("browser steps: {timings:?}");
    Ok(())
}

/// Headless Chromium, French, driven through chromedriver; `None` (the test is skipped) when either is missing and
/// `DEALCAST_REQUIRE_BROWSER` is not set.
struct Browser {
    driver: WebDriver,
    /// Kept for as long as the browser: chromedriver is killed when dropped.
    _chromedriver: Driver,
}

impl Browser {
    async fn open() -> Option<Browser> {
        let required = std::env::var_os("DEALCAST_REQUIRE_BROWSER").is_some();
        let chromium = program("chromium", &["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        let chromedriver = program("chromedriver", &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            assert!(!required, "DEALCAST_REQUIRE_BROWSER is set but chromium or chromedriver is not installed");
            println!(
                "SKIPPED browser: chromium and chromedriver are needed (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let chromedriver = start_chromedriver(&chromedriver).await.expect("chromedriver starts");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium.to_string_lossy()).expect("a binary path");
        // A French visitor (the site's first audience): the pages answer in the browser's language.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1280,1024",
            "--lang=fr-FR",
        ];
        for arg in args {
            caps.add_arg(arg).expect("a Chromium argument");
        }
        caps.add_experimental_option("prefs", serde_json::json!({ "intl.accept_languages": "fr-FR,fr" }))
            .expect("the language preference");
        let driver = WebDriver::new(&chromedriver.url, caps).await.expect("a Chromium session");
        Some(Browser { driver, _chromedriver: chromedriver })
    }

    /// Closes the browser, then fails the test with `outcome`'s failure if there is one.
    async fn close_then_check(self, outcome: Outcome) {
        let _ = self.driver.quit().await;
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_browses_and_an_operator_approves_a_post_in_chromium() {
    let Some(browser) = Browser::open().await else { return };
    let started = Instant::now();
    let site = admin_site::start(true).await;
    let outcome = visit(&browser.driver, &site).await;
    println!("browser test: {:?} in all", started.elapsed());
    browser.close_then_check(outcome).await;
}

/// The demo's home page in Chromium: its deal cards show the demo shop's product images (served over plain http
/// from the shop's own loopback port, which the demo's Content-Security-Policy allows), and a screenshot is kept.
async fn demo_images(driver: &WebDriver, demo: &DemoProcess) -> Outcome {
    driver.goto(&demo.url).await?;
    page_where(driver, "the demo's home page lists its deals", |_, page| {
        page.contains("Lampe de bureau LED orientable")
    })
    .await?;
    // Each deal card's image: its address, whether the browser is done with it, and its width once decoded (0 when
    // it was blocked or failed to load).
    let script = "return Array.from(document.querySelectorAll('ol.deals li.deal img'), \
                  img => [img.currentSrc || img.src, img.complete, img.naturalWidth]);";
    let started = Instant::now();
    let shown = loop {
        let images: Vec<(String, bool, u64)> = driver.execute(script, Vec::new()).await?.convert()?;
        check(!images.is_empty(), "the demo's deal cards have images")?;
        check(
            images.iter().all(|(src, _, _)| src.starts_with("http://127.0.0.1:") && src.contains("/img/")),
            &format!("the images are the demo shop's own, over http on loopback: {images:?}"),
        )?;
        let shown = images.iter().filter(|(_, complete, width)| *complete && *width > 0).count();
        if shown > 0 {
            break shown;
        }
        if started.elapsed() > STEP_DEADLINE {
            return Err(format!("no product image was shown within {STEP_DEADLINE:?}: {images:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-home.png");
    driver.screenshot(&screenshot).await?;
    check(std::fs::read(&screenshot)?.starts_with(b"\x89PNG"), "the screenshot is a PNG file")?;
    println!("demo home page: {shown} product image(s) shown; screenshot in {}", screenshot.display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_home_page_shows_its_product_images_in_chromium() {
    let Some(browser) = Browser::open().await else { return };
    // No live round during the test: the page stays as the demo started it.
    let demo = DemoProcess::start("demo-browser", 3600);
    let outcome = demo_images(&browser.driver, &demo).await;
    browser.close_then_check(outcome).await;
}
