// Drives Debian's chromium (headless, through puppeteer-core) against shunt's built-in
// dashboard the way a user would: open /ui/ with the secret, switch a group's member and
// the mode by clicking, find the live connection the test started and close it with its
// button. Run by tests/api/dashboard_browser_itest.cpp, which checks the outcome through
// the API and curl; this script only clicks and waits, writing screenshots to OUT_DIR.
//
// Usage: node dashboard_test.mjs BASE_URL SECRET GROUP MEMBER HOST OUT_DIR
import puppeteer from "puppeteer-core";

const [base, secret, group, member, host, outDir] = process.argv.slice(2);
const step = (name) => console.log("step: " + name);
// The dashboard re-renders its tables every second: a node found by one call can be
// detached by the next. Finding and clicking in one evaluation in the page cannot race.
const clickNow = (page, selector) => page.$eval(selector, (element) => element.click());

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  // Root in a test namespace: chromium's sandbox needs user namespaces it cannot have.
  // The rest keeps chromium's own background requests (updates, sync, metrics) from
  // leaving the test's namespace through shunt.
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-domain-reliability", "--no-default-browser-check", "--metrics-recording-only"],
});
const failures = [];
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on("console", (m) => console.log("console: " + m.text()));
  const external = [];
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith(base.replace("http", "ws")))
      external.push(r.url());
  });

  step("open");
  await page.goto(base + "/ui/#secret=" + encodeURIComponent(secret), { waitUntil: "load" });
  const groupSelector = `.group[data-group="${group}"]`;
  await page.waitForSelector(groupSelector, { timeout: 15000 });
  await page.screenshot({ path: outDir + "/1-open.png" });

  step("select " + member + " in " + group);
  await page.waitForSelector(`${groupSelector} button.member[data-member="${member}"]`);
  await clickNow(page, `${groupSelector} button.member[data-member="${member}"]`);
  await page.waitForSelector(`${groupSelector} button.member.on[data-member="${member}"]`,
                             { timeout: 10000 });

  step("mode global");
  await clickNow(page, '#mode button[data-mode="global"]');
  await page.waitForSelector('#mode button.on[data-mode="global"]', { timeout: 10000 });
  await page.screenshot({ path: outDir + "/2-switched.png" });

  step("close the connection to " + host);
  const row = `#connections tr[data-host="${host}"]`;
  await page.waitForSelector(row, { timeout: 15000 });
  await page.screenshot({ path: outDir + "/3-connection.png" });
  await clickNow(page, `${row} button.close`);
  await page.waitForSelector(row, { hidden: true, timeout: 10000 });
  await page.screenshot({ path: outDir + "/4-closed.png" });

  if (external.length) failures.push("requests outside shunt: " + external.join(", "));
} catch (e) {
  failures.push(e.message);
  try {
    const [page] = await browser.pages();
    if (page) await page.screenshot({ path: outDir + "/failure.png" });
  } catch (ignored) {}
} finally {
  await browser.close();
}
if (failures.length) {
  console.log("FAILED: " + failures.join("; "));
  process.exit(1);
}
console.log("ok");
