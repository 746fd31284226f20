/* The admin index's report charts: GET /api/reports/summary/ (session cookie) drawn with the
   vendored Chart.js. The charts are kept on window.bankCharts so that tests can read them. */
(function () {
  "use strict";

  const SERIES = [
    ["deposits", "Deposits", "#2e7d32"],
    ["withdrawals", "Withdrawals", "#c62828"],
    ["transfers", "Transfers", "#1565c0"],
    ["gateway_payments", "Gateway payments", "#6a1b9a"],
    ["loan_disbursements", "Loan disbursements", "#ef6c00"],
    ["loan_repayments", "Loan repayments", "#00838f"],
    ["reversals", "Reversals", "#757575"],
  ];
  const charts = {};
  window.bankCharts = charts;

  function isoDay(date) {
    return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  function periodLabel(period) {
    return period.period_start === period.period_end
      ? period.period_start
      : period.period_start + " – " + period.period_end;
  }

  function draw(id, config) {
    if (charts[id]) {
      charts[id].destroy();
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function money(value) {
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function figures(data) {
    const box = document.getElementById("reports-figures");
    const totals = data.totals;
    const late = data.loans_overdue.reduce((sum, bucket) => sum + Number(bucket.amount_due), 0);
    const outstanding = data.loan_book.reduce((sum, row) => sum + Number(row.outstanding_principal), 0);
    const items = [
      ["Deposits", money(totals.deposits.volume) + " (" + totals.deposits.count + ")"],
      ["Withdrawals", money(totals.withdrawals.volume) + " (" + totals.withdrawals.count + ")"],
      ["Transfers", money(totals.transfers.volume) + " (" + totals.transfers.count + ")"],
      ["Gateway payments", money(totals.gateway_payments.volume) + " (" + totals.gateway_payments.count + ")"],
      ["New customers", String(totals.new_customers)],
      ["Customers' money now", money(data.customer_balances.current) + " " + data.currency],
      ["Loans outstanding", money(outstanding)],
      ["Overdue", money(late)],
    ];
    box.replaceChildren(...items.map(([label, value]) => {
      const item = document.createElement("div");
      const term = document.createElement("dt");
      const detail = document.createElement("dd");
      term.textContent = label;
      detail.textContent = value;
      item.append(term, detail);
      return item;
    }));
  }

  function render(data) {
    const labels = data.periods.map(periodLabel);
    const flows = (part) => SERIES.map(([key, label, colour]) => ({
      label: label,
      data: data.periods.map((period) => Number(period[key][part])),
      backgroundColor: colour,
      borderColor: colour,
    }));
    const stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
    draw("chart-volume", { type: "bar", data: { labels: labels, datasets: flows("volume") }, options: { scales: stacked } });
    draw("chart-count", { type: "bar", data: { labels: labels, datasets: flows("count") }, options: { scales: stacked } });
    draw("chart-balances", {
      data: {
        labels: labels,
        datasets: [
          { type: "line", label: "Customers' money (" + data.currency + ")", yAxisID: "money",
            data: data.periods.map((period) => Number(period.customer_balances)),
            borderColor: "#1f5fbf", backgroundColor: "rgba(31, 95, 191, 0.15)", fill: true, pointRadius: 0, stepped: true },
          { type: "bar", label: "New customers", yAxisID: "people",
            data: data.periods.map((period) => period.new_customers), backgroundColor: "#f9a825" },
        ],
      },
      options: { scales: { money: { position: "left", beginAtZero: true },
                           people: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } },
    });
    draw("chart-loans", {
      type: "bar",
      data: {
        labels: data.loan_book.map((row) => row.status).concat(data.loans_overdue.map((row) => "late " + row.days_past_due + " d")),
        datasets: [
          { label: "Outstanding principal", backgroundColor: "#ef6c00",
            data: data.loan_book.map((row) => Number(row.outstanding_principal)).concat(data.loans_overdue.map(() => 0)) },
          { label: "Amount overdue", backgroundColor: "#c62828",
            data: data.loan_book.map(() => 0).concat(data.loans_overdue.map((row) => Number(row.amount_due))) },
        ],
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
    });
    figures(data);
  }

  function load(section) {
    const form = document.getElementById("bank-reports-range");
    const status = document.getElementById("reports-status");
    const query = new URLSearchParams(new FormData(form));
    document.getElementById("reports-csv").href = section.dataset.summaryUrl + "?" + query + "&format=csv";
    status.classList.remove("error");
    status.textContent = "Loading…";
    section.dataset.state = "loading";
    return fetch(section.dataset.summaryUrl + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => response.json().then((body) => ({ ok: response.ok, body: body })))
      .then(({ ok, body }) => {
        if (!ok) {
          throw new Error(Object.values(body).flat().join(" "));
        }
        render(body);
        status.textContent = body.date_from + " to " + body.date_to + ", by " + body.interval + ".";
        section.dataset.state = "drawn";
      })
      .catch((error) => {
        status.classList.add("error");
        status.textContent = "The report could not be loaded: " + error.message;
        section.dataset.state = "error";
      });
  }

  function setRange(days) {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86400000);
    document.getElementById("reports-from").value = isoDay(from);
    document.getElementById("reports-to").value = isoDay(to);
    document.getElementById("reports-interval").value = days > 120 ? "month" : days > 31 ? "week" : "day";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("bank-reports");
    if (!section || !window.Chart) {
      return;
    }
    const form = document.getElementById("bank-reports-range");
    setRange(30);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load(section);
    });
    form.querySelectorAll("button[data-days]").forEach((button) => {
      button.addEventListener("click", () => {
        setRange(Number(button.dataset.days));
        load(section);
      });
    });
    load(section);
  });
})();
