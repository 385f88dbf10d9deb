/*
 * The admin health page, kept current: fetches the dashboard JSON every few seconds and updates
 * the server-rendered page in place (focus and scroll stay where they are). "Run checks now"
 * asks for a fresh run. Labels, formats and the sparkline's geometry follow healthdash/admin_site/content.py
 * and healthdash/admin_site/sparkline.py, so an update looks like the first paint.
 */
(function () {
    "use strict";

    const root = document.querySelector(".healthdash[data-dashboard-url]");
    if (!root) {
        return;
    }

    const EMPTY = "\u2014";
    const SVG = "http://www.w3.org/2000/svg";
    const STATUS_LABELS = {up: "Up", degraded: "Degraded", down: "Down"};
    const RESERVED = new Set(["status", "checked_at", "services", "middleware", "maintenance", "duration_ms", "traffic"]);
    const MIDDLEWARE_LABELS = {
        request_id: "Request IDs", tracing: "Tracing", metrics: "Metrics", authentication: "Authentication",
        sessions: "Sessions", csrf: "CSRF protection", security_headers: "Security headers",
        clickjacking: "Clickjacking protection", rate_limiting: "Rate limiting", cors: "CORS"
    };
    const TRACING_FIELDS = [
        ["enabled", "Enabled"], ["active", "Exporting in this process"], ["exporter", "Exporter"],
        ["endpoint", "Endpoint"], ["service_name", "Service name"], ["sample_rate", "Sample rate"],
        ["last_export", "Last export"], ["spans_exported", "Spans exported"], ["spans_dropped", "Spans dropped"]
    ];
    const CHART = {width: 120, height: 24, pad: 2};

    const dashboardUrl = root.dataset.dashboardUrl;
    const intervalMs = Math.max(1, parseFloat(root.dataset.refreshSeconds) || 5) * 1000;
    const historySize = parseInt(root.dataset.historySize, 10) || 60;
    const button = document.getElementById("healthdash-refresh");
    const live = document.getElementById("healthdash-live");
    const checkedAt = document.getElementById("healthdash-checked-at");
    const tbody = document.querySelector("#healthdash-services tbody");

    // Latency samples per service, oldest first, and the check time of the newest.
    const series = new Map();
    const lastChecked = new Map();
    let shownRun = checkedAt.getAttribute("datetime") || "";
    let timer = null;
    let queue = Promise.resolve();
    let stopped = false;

    // --- Formats (as in healthdash/admin_site/content.py) ---------------------------------------------------

    function display(value) {
        if (value === null || value === undefined || value === "") {
            return EMPTY;
        }
        if (typeof value === "boolean") {
            return value ? "yes" : "no";
        }
        if (typeof value === "object") {
            return toJson(value);
        }
        return String(value);
    }

    // JSON as Python's json.dumps writes it: ", " between items, ": " after keys.
    function toJson(value) {
        if (Array.isArray(value)) {
            return "[" + value.map(toJson).join(", ") + "]";
        }
        if (value !== null && typeof value === "object") {
            return "{" + Object.entries(value).map(([key, item]) => JSON.stringify(key) + ": " + toJson(item)).join(", ") + "}";
        }
        return JSON.stringify(value === undefined ? null : value);
    }

    // One decimal, as Python writes it (f"{x:.1f}", round(x, 1)): toFixed() breaks an exact tie
    // such as 1.25 upwards where Python picks the even digit.
    function fixed1(value) {
        if (Number.isInteger(value * 4) && !Number.isInteger(value * 2)) {
            const below = Math.floor(value * 10);
            return ((below % 2 === 0 ? below : below + 1) / 10).toFixed(1);
        }
        return value.toFixed(1);
    }

    function humanize(key) {
        const text = String(key).replace(/_/g, " ").trim();
        return text.charAt(0).toUpperCase() + text.slice(1);
    }

    function when(iso) {
        return typeof iso === "string" && iso.length >= 19 ? iso.slice(0, 10) + " " + iso.slice(11, 19) + " UTC" : EMPTY;
    }

    function clock(iso) {
        return when(iso) === EMPTY ? EMPTY : when(iso).slice(11);
    }

    function latency(value) {
        return typeof value === "number" ? fixed1(value) + " ms" : EMPTY;
    }

    function bannerText(services) {
        const names = Object.keys(services);
        const downCritical = names.filter((name) => services[name].status === "down" && services[name].critical);
        const notUp = names.filter((name) => services[name].status !== "up");
        if (downCritical.length) {
            return "Down: critical " + (downCritical.length === 1 ? "service " : "services ") + downCritical.join(", ") + ".";
        }
        if (notUp.length) {
            return "Degraded: " + notUp.length + " of " + names.length + " services not up (" + notUp.join(", ") + ").";
        }
        return "Up: all " + names.length + " services are up.";
    }

    function tracingValue(key, value) {
        if (key === "last_export" && value && typeof value === "object") {
            if (!value.result) {
                return "none yet";
            }
            const text = value.result + " at " + when(value.at);
            return value.error ? text + ": " + value.error : text;
        }
        return display(value);
    }

    // --- DOM helpers ------------------------------------------------------------------------------

    // content.maintenance_text() in Python.
    function maintenanceText(state) {
        if (!state || !state.on) {
            return "";
        }
        return "Maintenance: on since " + when(state.since) + ", turned on by " + (state.by || "unknown")
            + (state.reason ? ": " + state.reason : "") + ". Readiness answers 503, so load balancers send no traffic here.";
    }

    function element(tag, attributes, text) {
        const node = document.createElement(tag);
        Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function setText(node, text) {
        if (node.textContent !== text) {
            node.textContent = text;
        }
    }

    function factRow(key, label, text, cellClass) {
        const row = element("tr", key ? {"data-key": key} : {});
        row.append(element("th", {scope: "row"}, label), element("td", cellClass ? {class: cellClass} : {}, text));
        return row;
    }

    // --- Sparkline (as in healthdash/admin_site/sparkline.py) ---------------------------------------------

    function round1(value) {
        return Number(fixed1(value));
    }

    function describe(samples) {
        const latencies = samples.map((sample) => sample[0]);
        const notUp = samples.filter((sample) => sample[1] !== "up").length;
        const text = "Latency of the last " + samples.length + " check" + (samples.length !== 1 ? "s" : "") + ": " +
            fixed1(Math.min(...latencies)) + " to " + fixed1(Math.max(...latencies)) + " ms, latest " +
            fixed1(latencies[latencies.length - 1]) + " ms";
        return notUp ? text + "; " + notUp + " not up" : text;
    }

    function drawSparkline(svg, samples, describeSamples, empty) {
        svg.replaceChildren();
        if (!samples.length) {
            svg.setAttribute("aria-label", empty || "No checks yet");
            svg.append(document.createElementNS(SVG, "polyline"));
            return;
        }
        const top = Math.max(...samples.map((sample) => sample[0]));
        const step = samples.length > 1 ? (CHART.width - 2 * CHART.pad) / (samples.length - 1) : 0;
        const points = samples.map((sample, index) => {
            const x = samples.length > 1 ? CHART.pad + index * step : CHART.width / 2;
            const y = CHART.height - CHART.pad - (top > 0 ? sample[0] / top * (CHART.height - 2 * CHART.pad) : 0);
            return [round1(x), round1(y)];
        });
        const line = document.createElementNS(SVG, "polyline");
        line.setAttribute("points", points.map((point) => point[0] + "," + point[1]).join(" "));
        svg.append(line);
        points.forEach((point, index) => {
            const latest = index === points.length - 1;
            if (samples[index][1] !== "up" || latest) {
                const dot = document.createElementNS(SVG, "circle");
                dot.setAttribute("cx", point[0]);
                dot.setAttribute("cy", point[1]);
                dot.setAttribute("r", "2");
                dot.setAttribute("class", "healthdash-marker--" + samples[index][1] + (latest ? " healthdash-marker--latest" : ""));
                svg.append(dot);
            }
        });
        svg.setAttribute("aria-label", (describeSamples || describe)(samples));
    }

    function newSparkline() {
        const svg = document.createElementNS(SVG, "svg");
        const size = {viewBox: "0 0 " + CHART.width + " " + CHART.height, width: CHART.width, height: CHART.height};
        Object.entries({class: "healthdash-sparkline", role: "img", ...size}).forEach(([k, v]) => svg.setAttribute(k, v));
        return svg;
    }

    // --- Services table ---------------------------------------------------------------------------

    function newRow(name) {
        const row = element("tr", {"data-service": name});
        row.append(element("th", {scope: "row", "data-field": "name"}, name));
        ["status", "critical", "latency", "history", "checked", "description", "reason"].forEach((field) => {
            row.append(element("td", field === "latency" ? {"data-field": field, class: "healthdash-numeric"} : {"data-field": field}));
        });
        row.querySelector("[data-field=status]").append(element("span"));
        row.querySelector("[data-field=history]").append(newSparkline());
        row.querySelector("[data-field=checked]").append(element("time"));
        return row;
    }

    function updateRow(row, name, service) {
        const cell = (field) => row.querySelector("[data-field=" + field + "]");
        row.className = "healthdash-row healthdash-row--" + service.status;
        const status = cell("status").firstElementChild;
        status.className = "healthdash-status healthdash-status--" + service.status;
        setText(status, STATUS_LABELS[service.status] || service.status);
        setText(cell("critical"), service.critical ? "yes" : "no");
        setText(cell("latency"), latency(service.latency_ms));
        const time = cell("checked").firstElementChild;
        time.setAttribute("datetime", service.checked_at || "");
        time.setAttribute("title", when(service.checked_at));
        setText(time, clock(service.checked_at));
        setText(cell("description"), service.description || EMPTY);
        setText(cell("reason"), service.reason || EMPTY);
        const samples = series.get(name) || [];
        if (service.checked_at && service.checked_at > (lastChecked.get(name) || "")) {
            samples.push([service.latency_ms, service.status]);
            samples.splice(0, Math.max(0, samples.length - historySize));
            lastChecked.set(name, service.checked_at);
        }
        series.set(name, samples);
        const chart = cell("history").querySelector("svg");
        chart.dataset.samples = JSON.stringify(samples);
        drawSparkline(chart, samples);
    }

    function renderServices(services) {
        const rows = new Map(Array.from(tbody.rows, (row) => [row.dataset.service, row]));
        Object.entries(services).forEach(([name, service]) => {
            const row = rows.get(name) || newRow(name);
            rows.delete(name);
            updateRow(row, name, service);
            tbody.append(row);  // keeps the dashboard's order; an existing row just moves
        });
        rows.forEach((row) => row.remove());
    }

    // --- Traffic (as in healthdash/admin_site/content.py): rates between this page's refreshes ---------

    const traffic = document.getElementById("healthdash-traffic");
    const rateSeries = [];
    let lastTotals = null;

    function share(value) {
        return fixed1(value * 100) + " %";
    }

    function describeRates(samples) {
        const rates = samples.map((sample) => sample[0]);
        const failing = samples.filter((sample) => sample[1] !== "up").length;
        const text = "Requests per second between the last " + samples.length + " refresh" +
            (samples.length !== 1 ? "es" : "") + ": " + fixed1(Math.min(...rates)) + " to " +
            fixed1(Math.max(...rates)) + ", latest " + fixed1(rates[rates.length - 1]);
        return failing ? text + "; " + failing + " with 5xx answers" : text;
    }

    function renderTraffic(value) {
        if (!traffic || !value) {
            return;  // not served here: the first paint says so
        }
        const totals = [value.at, value.requests, value.errors];
        if (lastTotals && totals[0] - lastTotals[0] >= 1) {
            const seconds = totals[0] - lastTotals[0];
            const requests = Math.max(totals[1] - lastTotals[1], 0) / seconds;
            const errors = Math.max(totals[2] - lastTotals[2], 0) / seconds;
            rateSeries.push([Math.round(requests * 1000) / 1000, errors > 0 ? "down" : "up"]);
            rateSeries.splice(0, Math.max(rateSeries.length - historySize, 0));
            setText(document.getElementById("healthdash-traffic-rate"),
                fixed1(requests) + " requests/s, " + fixed1(errors) + " errors/s");
            const chart = traffic.querySelector("svg");
            chart.dataset.samples = JSON.stringify(rateSeries);
            drawSparkline(chart, rateSeries, describeRates);
        }
        if (!lastTotals || totals[0] - lastTotals[0] >= 1) {
            lastTotals = totals;
        }
        setText(document.getElementById("healthdash-traffic-totals"), value.requests + " requests, " +
            share(value.requests ? value.errors / value.requests : 0) + " answered 5xx");
        traffic.querySelector("tbody").replaceChildren(...value.routes.map((route) => {
            const row = element("tr", {"data-route": route.route});
            row.append(element("th", {scope: "row"}, route.route));
            [String(route.requests), share(route.error_share), latency(route.p50_ms), latency(route.p95_ms)]
                .forEach((text) => row.append(element("td", {class: "healthdash-numeric"}, text)));
            return row;
        }));
    }

    // --- Tracing, middleware, sections ------------------------------------------------------------

    function renderTracing(services) {
        const details = (services.tracing && services.tracing.details) || {};
        const body = document.querySelector("#healthdash-tracing tbody");
        body.replaceChildren(...TRACING_FIELDS.filter(([key]) => key in details)
            .map(([key, label]) => factRow(key, label, tracingValue(key, details[key]))));
    }

    function renderMiddleware(middleware) {
        const body = document.querySelector("#healthdash-middleware tbody");
        body.replaceChildren(...Object.entries(middleware || {}).map(([key, state]) =>
            factRow(key, MIDDLEWARE_LABELS[key] || humanize(key), display(state), "healthdash-state healthdash-state--" + state)));
    }

    function sectionModule(name, value) {
        const module = element("div", {class: "module healthdash-scroll healthdash-section", "data-section": name});
        const items = value && typeof value === "object" && !Array.isArray(value) ? value.items : undefined;
        const itemized = Array.isArray(items) && items.every((item) => item && typeof item === "object" && !Array.isArray(item));
        const table = element("table", {class: itemized ? "healthdash-items" : "healthdash-facts"});
        table.append(element("caption", {}, humanize(name)));
        const body = element("tbody");
        if (itemized) {
            const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
            const head = element("tr");
            columns.forEach((column) => head.append(element("th", {scope: "col"}, humanize(column))));
            table.append(element("thead"));
            table.tHead.append(head);
            items.forEach((item) => {
                const row = element("tr");
                columns.forEach((column, index) => row.append(
                    index === 0 ? element("th", {scope: "row"}, display(item[column])) : element("td", {}, display(item[column]))));
                body.append(row);
            });
            table.append(body);
            module.append(table);
            const facts = Object.entries(value).filter(([key]) => key !== "items");
            if (facts.length) {
                module.append(element("p", {class: "help healthdash-note"},
                    facts.map(([key, fact]) => humanize(key) + ": " + display(fact)).join("; ")));
            }
            return module;
        }
        const facts = value && typeof value === "object" && !Array.isArray(value) ? Object.entries(value) : [["value", value]];
        facts.forEach(([key, fact]) => body.append(factRow(null, humanize(key), display(fact))));
        table.append(body);
        module.append(table);
        return module;
    }

    function renderSections(payload) {
        const container = document.getElementById("healthdash-sections");
        container.replaceChildren(...Object.keys(payload).filter((key) => !RESERVED.has(key))
            .map((name) => sectionModule(name, payload[name])));
    }

    // --- The whole page ---------------------------------------------------------------------------

    function render(payload) {
        shownRun = payload.checked_at;
        checkedAt.setAttribute("datetime", payload.checked_at);
        setText(checkedAt, when(payload.checked_at));
        setText(document.getElementById("healthdash-duration"), fixed1(payload.duration_ms || 0) + " ms");
        const banner = document.getElementById("healthdash-banner");
        banner.className = "healthdash-banner healthdash-banner--" + payload.status;
        setText(banner, bannerText(payload.services));
        const text = maintenanceText(payload.maintenance);
        document.getElementById("healthdash-maintenance").hidden = !text;
        setText(document.getElementById("healthdash-maintenance-text"), text);
        renderServices(payload.services);
        const tracing = payload.services.tracing;
        whenChanged("tracing", tracing && tracing.details, () => renderTracing(payload.services));
        whenChanged("middleware", payload.middleware, () => renderMiddleware(payload.middleware));
        const sections = Object.keys(payload).filter((key) => !RESERVED.has(key)).map((key) => [key, payload[key]]);
        whenChanged("sections", sections, () => renderSections(payload));
    }

    // Blocks rebuilt only when their data changed, so a selection in them survives an update.
    const rendered = new Map();

    function whenChanged(block, data, renderBlock) {
        const key = JSON.stringify(data === undefined ? null : data);
        if (rendered.has(block) && rendered.get(block) === key) {
            return;
        }
        rendered.set(block, key);
        renderBlock();
    }

    // --- Recent status changes (as in healthdash/admin_site/changes.py) -------------------------------------

    const historyUrl = root.dataset.historyUrl;
    const changes = document.querySelector("#healthdash-changes tbody");
    const changesNote = document.getElementById("healthdash-changes-note");
    const HISTORY_UNAVAILABLE = "The history is unavailable: the database did not answer.";

    function changeRow(change) {
        const row = element("tr", {"data-service": change.service});
        const at = element("td");
        at.append(element("time", {datetime: change.at}, when(change.at)));
        const to = element("td");
        to.append(element("span", {class: "healthdash-status healthdash-status--" + change.to},
            STATUS_LABELS[change.to] || change.to));
        row.append(at, element("th", {scope: "row"}, change.service), element("td", {}, change.from), to,
            element("td", {}, change.reason || EMPTY));
        return row;
    }

    async function loadChanges() {
        if (!historyUrl || !changes) {
            return;
        }
        try {
            const response = await fetch(historyUrl + "?limit=10", {
                credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}
            });
            if (response.status !== 200) {
                setText(changesNote, HISTORY_UNAVAILABLE);
                return;
            }
            const body = await response.json();
            whenChanged("changes", body.transitions, () => changes.replaceChildren(...body.transitions.map(changeRow)));
            setText(changesNote, body.transitions.length ? "" : "No status change recorded yet.");
        } catch (error) {
            setText(changesNote, HISTORY_UNAVAILABLE);
        }
    }

    function say(text, isError) {
        live.hidden = false;
        live.classList.toggle("healthdash-live--error", Boolean(isError));
        setText(live, text);
    }

    function sessionEnded() {
        stopped = true;
        clearTimeout(timer);
        live.hidden = false;
        live.classList.add("healthdash-live--error");
        live.replaceChildren("Your session has ended: ", element("a", {href: root.dataset.loginUrl}, "log in again"),
            " to see current results.");
    }

    // One request at a time: the button's fresh run waits for an update already under way.
    function load(refresh) {
        queue = queue.then(() => fetchAndRender(refresh));
        return queue;
    }

    async function fetchAndRender(refresh) {
        if (stopped) {
            return;
        }
        clearTimeout(timer);
        try {
            const response = await fetch(dashboardUrl + (refresh ? "?refresh=1" : ""), {
                credentials: "same-origin", cache: "no-store", headers: {Accept: "application/json"}
            });
            if (response.status === 401 || response.status === 403) {
                sessionEnded();
                return;
            }
            if (response.status !== 200 && response.status !== 503) {
                throw new Error("HTTP " + response.status);
            }
            const payload = await response.json();
            if (!("duration_ms" in payload)) {
                sessionEnded();  // answered as to an anonymous caller: the session is gone
                return;
            }
            // Several server processes answer in turn: never go back to an older run. Traffic is read
            // from every worker's values at each answer, so it is always current.
            if (payload.checked_at >= shownRun) {
                render(payload);
            }
            renderTraffic(payload.traffic);
            await loadChanges();
            say("Updates every " + intervalMs / 1000 + " s.", false);
        } catch (error) {
            say("Could not update (" + error.message + "); showing the run of " + when(shownRun) + ".", true);
        } finally {
            if (!stopped) {
                clearTimeout(timer);
                timer = setTimeout(tick, intervalMs);
            }
        }
    }

    function tick() {
        if (document.hidden) {
            timer = null;  // resumes when the page is shown again
            return;
        }
        load(false);
    }

    function start() {
        Array.from(tbody.rows).forEach((row) => {
            const svg = row.querySelector("svg[data-samples]");
            series.set(row.dataset.service, svg ? JSON.parse(svg.dataset.samples) : []);
            lastChecked.set(row.dataset.service, row.querySelector("time").getAttribute("datetime") || "");
        });
        if (traffic && traffic.dataset.served === "true") {
            const svg = traffic.querySelector("svg[data-samples]");
            rateSeries.push(...(svg ? JSON.parse(svg.dataset.samples) : []));
            lastTotals = [parseFloat(traffic.dataset.at), parseInt(traffic.dataset.requests, 10),
                parseInt(traffic.dataset.errors, 10)];
        }
        button.form.addEventListener("submit", async (event) => {
            if (stopped) {
                return;  // the session is gone: the form's own GET leads to the login page
            }
            event.preventDefault();
            button.disabled = true;
            button.setAttribute("aria-busy", "true");
            const label = button.textContent;
            button.textContent = "Running checks\u2026";
            try {
                await load(true);
            } finally {
                button.textContent = label;
                button.disabled = false;
                button.removeAttribute("aria-busy");
                button.focus();
            }
        });
        document.addEventListener("visibilitychange", () => {
            if (!document.hidden && timer === null && !stopped) {
                load(false);
            }
        });
        if (new URLSearchParams(window.location.search).has("refresh")) {
            window.history.replaceState(null, "", window.location.pathname);  // a reload should not run the checks
        }
        say("Updates every " + intervalMs / 1000 + " s.", false);
        timer = setTimeout(tick, intervalMs);
    }

    start();
}());
