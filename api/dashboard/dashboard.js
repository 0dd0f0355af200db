/* Leadflow reports dashboard: plain browser JavaScript, no build step. Served by the API at /dashboard.
 *
 * Every number comes from the `read`-scoped report endpoints (/v1/reports/*) and the lead endpoints,
 * fetched with the API key the user gives (kept in sessionStorage; `#key=…` in the URL is taken once
 * and removed from the address bar). Charts are Chart.js (served from the installed package); every
 * chart has a table of its numbers beside it, and its canvas carries them as JSON in data-values.
 * Text from the API is only ever set as textContent, never parsed as HTML.
 */
/* global window, document, sessionStorage, fetch, history, location, Chart, setInterval */
'use strict';

(function () {
  const KEY_STORAGE = 'leadflow.apiKey';
  const STAGES = ['inquiry', 'mql', 'sal', 'sql', 'won'];
  const CONVERSIONS = ['inquiry_to_mql', 'mql_to_sal', 'sal_to_sql', 'sql_to_won'];
  const STAGE_LABELS = {
    inquiry: 'Inquiry',
    mql: 'MQL',
    sal: 'SAL',
    sql: 'SQL',
    won: 'Won',
    recycled: 'Recycled',
    disqualified: 'Disqualified',
  };
  // Okabe-Ito, readable for the common colour-vision deficiencies.
  const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000', '#7f7f7f', '#8c564b'];
  const REFRESH_EVERY_MS = 60_000;

  const $ = (id) => document.getElementById(id);
  const charts = new Map();
  const reasonColors = new Map();
  let funnelReport = null;
  let funnelView = 'total';
  let loadToken = 0;
  let chartsDrawnOnce = false;

  // ---------------------------------------------------------------------------------------------------
  // Small helpers

  /** An element with attributes and children (strings become text nodes, never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'className') node.className = value;
      else if (name === 'dataset') Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof window.Node ? child : String(child));
    }
    return node;
  }

  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  const fmtNum = (v) => (isNum(v) ? numberFormat.format(v) : '—');
  /** Shares and rates arrive as fractions (0-1). */
  const fmtPct = (v) => (isNum(v) ? `${numberFormat.format(Math.round(v * 1000) / 10)} %` : '—');
  const fmtHours = (v) => (isNum(v) ? `${numberFormat.format(v)} h` : '—');
  const fmtDays = (v) => (isNum(v) ? `${numberFormat.format(v)} d` : '—');
  const fmtTime = (iso) => {
    const d = iso ? new Date(iso) : null;
    return d && !Number.isNaN(d.getTime()) ? dateTimeFormat.format(d) : '—';
  };
  /** A date: `YYYY-MM-DD` (a report's UTC day, shown as that calendar day) or a full timestamp. */
  const fmtDate = (value) => {
    const day = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
    const d = day ? new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3])) : value ? new Date(value) : null;
    return d && !Number.isNaN(d.getTime()) ? dateFormat.format(d) : String(value ?? '—');
  };
  const humanize = (s) => String(s ?? '—').replace(/_/g, ' ');
  const stageLabel = (s) => STAGE_LABELS[s] || humanize(s);
  const shortId = (id) => (typeof id === 'string' && id.length > 14 ? `${id.slice(0, 13)}…` : String(id ?? ''));
  const shortTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  function colorFor(map, key) {
    if (!map.has(key)) map.set(key, PALETTE[map.size % PALETTE.length]);
    return map.get(key);
  }

  /** "3h 05m 09s", "1d 02h 05m 09s", or "2h 00m 05s over" once past the deadline. */
  function formatCountdown(ms) {
    const past = ms < 0;
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const pad = (n) => String(n).padStart(2, '0');
    const text = d > 0 ? `${d}d ${pad(h)}h ${pad(m)}m ${pad(s)}s` : `${h}h ${pad(m)}m ${pad(s)}s`;
    return past ? `${text} over` : text;
  }

  /**
   * A data table. columns: [{key, label, format?, num?}]; rowKey names the column whose value becomes the
   * row's data-row. Every cell carries data-col and, for numbers, the raw value in data-value.
   */
  function dataTable({ testid, caption, columns, rows, rowKey, empty }) {
    const head = el('tr', {}, columns.map((c) => el('th', { scope: 'col', className: c.num ? 'num' : undefined }, c.label)));
    const body = rows.length
      ? rows.map((row) =>
          el(
            'tr',
            { dataset: rowKey ? { row: String(row[rowKey]) } : undefined },
            columns.map((c, i) => {
              const value = row[c.key];
              const text = c.format ? c.format(value, row) : value ?? '—';
              const attrs = { className: c.num ? 'num' : undefined, dataset: { col: c.key } };
              if (isNum(value)) attrs.dataset.value = String(value);
              return i === 0 ? el('th', { ...attrs, scope: 'row' }, text) : el('td', attrs, text);
            }),
          ),
        )
      : [el('tr', {}, el('td', { colspan: columns.length, className: 'empty' }, empty || 'No data in this period'))];
    return el(
      'table',
      { className: 'data', 'data-testid': testid },
      caption ? el('caption', {}, caption) : null,
      el('thead', {}, head),
      el('tbody', {}, body),
    );
  }

  function replace(id, ...nodes) {
    $(id).replaceChildren(...nodes);
  }

  function stats(id, items) {
    $(id).replaceChildren(
      ...items.map(([label, value, testid]) =>
        el('div', { className: 'stat', 'data-testid': testid }, el('dt', {}, label), el('dd', {}, value)),
      ),
    );
  }

  function showError(panel, err) {
    const node = document.querySelector(`[data-error="${panel}"]`);
    if (node) node.textContent = err ? `Could not load: ${err.message || err}` : '';
  }

  // ---------------------------------------------------------------------------------------------------
  // Charts

  /** Draws each bar's value at its end (Chart.js has no built-in data labels). */
  const valueLabels = {
    id: 'leadflowValueLabels',
    afterDatasetsDraw(chart, _args, options) {
      if (!options || !options.enabled) return;
      const { ctx } = chart;
      const horizontal = chart.options.indexAxis === 'y';
      ctx.save();
      ctx.font = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
      ctx.fillStyle = '#1f2933';
      ctx.textAlign = horizontal ? 'left' : 'center';
      ctx.textBaseline = horizontal ? 'middle' : 'bottom';
      chart.data.datasets.forEach((dataset, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden || !chart.isDatasetVisible(i)) return;
        meta.data.forEach((bar, j) => {
          const value = dataset.data[j];
          if (!isNum(value)) return;
          if (horizontal) ctx.fillText(fmtNum(value), bar.x + 4, bar.y);
          else ctx.fillText(fmtNum(value), bar.x, bar.y - 3);
        });
      });
      ctx.restore();
    },
  };

  /** (Re)draws a Chart.js chart on a canvas and records what it plots in the canvas's data-values. */
  function drawChart(canvasId, config, values) {
    const canvas = $(canvasId);
    const old = charts.get(canvasId);
    if (old) old.destroy();
    canvas.dataset.values = JSON.stringify(
      values || { labels: config.data.labels, datasets: config.data.datasets.map((d) => ({ label: d.label, data: d.data })) },
    );
    const chart = new Chart(canvas, {
      ...config,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        ...(chartsDrawnOnce || window.matchMedia('(prefers-reduced-motion: reduce)').matches ? { animation: false } : {}),
        ...config.options,
      },
    });
    charts.set(canvasId, chart);
    return chart;
  }

  // ---------------------------------------------------------------------------------------------------
  // API

  class AuthError extends Error {}

  function apiKey() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  async function api(path) {
    const key = apiKey();
    if (!key) throw new AuthError('Enter an API key with the read scope.');
    const res = await fetch(path, { headers: { Authorization: `Bearer ${key}`, Accept: 'application/json' }, cache: 'no-store' });
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    const message = body && body.error && body.error.message;
    if (res.status === 401) throw new AuthError(message || 'The API key was not accepted.');
    if (res.status === 403) throw new AuthError(message || 'This API key does not have the read scope.');
    if (!res.ok) throw new Error(message || `HTTP ${res.status}`);
    return body;
  }

  /** The last N days, today included, as the reports take them: inclusive UTC dates (`YYYY-MM-DD`). */
  function periodQuery() {
    const days = Number($('period').value);
    if (!days) return '';
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86_400_000);
    const day = (d) => d.toISOString().slice(0, 10);
    return `from=${day(from)}&to=${day(to)}`;
  }

  /** Cohorts and rejection buckets: `week` or `month`. */
  function bucket() {
    return $('bucket').value === 'month' ? 'month' : 'week';
  }

  function withQuery(path, ...parts) {
    const q = parts.filter(Boolean).join('&');
    return q ? `${path}?${q}` : path;
  }

  // ---------------------------------------------------------------------------------------------------
  // Panels

  function renderPeriod(period) {
    const line = $('period-line');
    if (period && (period.from || period.to)) {
      line.textContent = `Period: ${fmtDate(period.from)} – ${fmtDate(period.to)}`;
      line.dataset.from = period.from || '';
      line.dataset.to = period.to || '';
    }
  }

  function renderFunnel(report) {
    funnelReport = report;
    renderPeriod(report.period);
    const totals = report.totals || {};
    const reached = totals.reached || {};
    const conversion = totals.conversion || {};
    const stages = Array.isArray(report.stages) && report.stages.length ? report.stages : STAGES;
    $('funnel-note').textContent = `${fmtNum(totals.disqualified)} disqualified · ${fmtNum(totals.recycled)} recycled in this period`;
    $('funnel-note').dataset.disqualified = String(totals.disqualified ?? '');
    $('funnel-note').dataset.recycled = String(totals.recycled ?? '');

    if (funnelView === 'source') {
      const sources = Array.isArray(report.bySource) ? report.bySource : [];
      replace(
        'funnel-table-wrap',
        dataTable({
          testid: 'funnel-source-table',
          caption: 'Leads that reached each stage, by source channel',
          rowKey: 'channel',
          columns: [
            { key: 'channel', label: 'Channel', format: (v) => humanize(v ?? 'unknown') },
            ...stages.map((s) => ({ key: s, label: stageLabel(s), num: true, format: fmtNum })),
            { key: 'inquiry_to_mql', label: 'Inquiry → MQL', num: true, format: fmtPct },
            { key: 'mql_to_sal', label: 'MQL → SAL', num: true, format: fmtPct },
          ],
          rows: sources.map((s) => ({ channel: s.channel, ...(s.reached || {}), ...(s.conversion || {}) })),
        }),
      );
      drawChart('funnel-chart', {
        type: 'bar',
        data: {
          labels: stages.map(stageLabel),
          datasets: sources.map((s, i) => ({
            label: humanize(s.channel ?? 'unknown'),
            data: stages.map((st) => (s.reached || {})[st] ?? 0),
            backgroundColor: PALETTE[i % PALETTE.length],
          })),
        },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { legend: { position: 'bottom' } } },
      });
      return;
    }

    const rows = stages.map((s, i) => ({
      stage: s,
      reached: reached[s] ?? 0,
      conversion: i === 0 ? null : conversion[CONVERSIONS[i - 1]] ?? conversion[`${stages[i - 1]}_to_${s}`],
    }));
    replace(
      'funnel-table-wrap',
      dataTable({
        testid: 'funnel-table',
        caption: 'Leads that reached each stage, and the conversion from the stage before',
        rowKey: 'stage',
        columns: [
          { key: 'stage', label: 'Stage', format: stageLabel },
          { key: 'reached', label: 'Reached', num: true, format: fmtNum },
          { key: 'conversion', label: 'From previous stage', num: true, format: (v, row) => (row.stage === stages[0] ? '' : fmtPct(v)) },
        ],
        rows,
      }),
    );
    drawChart(
      'funnel-chart',
      {
        type: 'bar',
        data: {
          labels: rows.map((r, i) => (i === 0 ? [stageLabel(r.stage), ''] : [stageLabel(r.stage), `${fmtPct(r.conversion)} conv.`])),
          datasets: [{ label: 'Reached', data: rows.map((r) => r.reached), backgroundColor: rows.map((_r, i) => PALETTE[i % PALETTE.length]) }],
        },
        options: {
          layout: { padding: { top: 18 } },
          scales: { x: { ticks: { maxRotation: 0, autoSkip: false } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: false }, leadflowValueLabels: { enabled: true } },
        },
        plugins: [valueLabels],
      },
      {
        labels: rows.map((r) => r.stage),
        datasets: [{ label: 'Reached', data: rows.map((r) => r.reached) }],
        conversion: Object.fromEntries(CONVERSIONS.map((c) => [c, conversion[c] ?? null])),
      },
    );

    const cohorts = Array.isArray(report.cohorts) ? report.cohorts : [];
    replace(
      'funnel-cohorts',
      dataTable({
        testid: 'funnel-cohorts-table',
        caption: `Leads created per ${bucket()}, and how far they got`,
        rowKey: 'cohort',
        columns: [
          { key: 'cohort', label: 'Cohort', format: fmtDate },
          ...stages.map((s) => ({ key: s, label: stageLabel(s), num: true, format: fmtNum })),
          { key: 'inquiry_to_mql', label: 'Inquiry → MQL', num: true, format: fmtPct },
        ],
        rows: cohorts.map((c) => ({ cohort: c.cohort, ...(c.reached || {}), ...(c.conversion || {}) })),
      }),
    );
  }

  function renderSla(report) {
    const mql = report.mql || {};
    const ttd = mql.timeToFirstDecisionHours || {};
    stats('sla-stats', [
      ['Decided', fmtNum(mql.decided), 'sla-decided'],
      ['Within SLA', `${fmtNum(mql.withinSla)} (${fmtPct(mql.withinSlaShare)})`, 'sla-within'],
      ['Breaches', fmtNum(mql.breaches), 'sla-breaches'],
      ['Reassigned', fmtNum(mql.reassignments), 'sla-reassignments'],
      ['Handed back', fmtNum(mql.handedBack), 'sla-handed-back'],
      ['To decision (median · p90)', `${fmtHours(ttd.median)} · ${fmtHours(ttd.p90)}`, 'sla-time-to-decision'],
    ]);

    // Past due first, then the open ones nearest their deadline; one row per lead.
    const seen = new Set();
    const items = [];
    for (const item of [...(report.openPastDue || []), ...(report.openBySla || [])]) {
      if (!item || seen.has(item.leadId)) continue;
      seen.add(item.leadId);
      const due = item.slaDueAt ? Date.parse(item.slaDueAt) : NaN;
      const hours = isNum(item.hoursLeft) ? item.hoursLeft : isNum(item.overdueHours) ? -item.overdueHours : null;
      items.push({ ...item, dueMs: Number.isNaN(due) ? (hours === null ? Infinity : Date.now() + hours * 3_600_000) : due });
    }
    items.sort((a, b) => a.dueMs - b.dueMs);

    const rows = items.map((item) => {
      const href = `#lead=${encodeURIComponent(item.leadId)}`;
      const timeLeft = el('td', { className: 'num countdown', dataset: { due: String(item.dueMs), col: 'timeLeft' } });
      const row = el(
        'tr',
        { 'data-testid': 'sla-row', className: 'clickable', dataset: { leadId: item.leadId, href } },
        el('th', { scope: 'row', dataset: { col: 'lead' } }, el('a', { href, title: item.leadId }, shortId(item.leadId))),
        el('td', { dataset: { col: 'stage' } }, el('span', { className: `badge stage-${item.stage}` }, stageLabel(item.stage))),
        el('td', { dataset: { col: 'owner' } }, item.owner ?? '—'),
        el(
          'td',
          { dataset: { col: 'due' } },
          Number.isFinite(item.dueMs) ? el('time', { datetime: new Date(item.dueMs).toISOString() }, shortTimeFormat.format(new Date(item.dueMs))) : '—',
        ),
        timeLeft,
      );
      return row;
    });
    $('sla-rows').replaceChildren(
      ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, className: 'empty' }, 'No open MQL or SAL is waiting on a decision'))]),
    );
    tick();

    replace(
      'sla-by-rep',
      dataTable({
        testid: 'sla-by-rep-table',
        caption: 'MQL decisions by rep',
        rowKey: 'rep',
        columns: [
          { key: 'rep', label: 'Rep' },
          { key: 'assigned', label: 'Assigned', num: true, format: fmtNum },
          { key: 'accepted', label: 'Accepted', num: true, format: fmtNum },
          { key: 'rejected', label: 'Rejected', num: true, format: fmtNum },
          { key: 'breaches', label: 'Breaches', num: true, format: fmtNum },
          { key: 'withinSlaShare', label: 'Within SLA', num: true, format: fmtPct },
          { key: 'medianHoursToDecision', label: 'Median to decision', num: true, format: fmtHours },
        ],
        rows: report.byRep || [],
      }),
    );
  }

  /** The live countdown: once a second, every open lead's time left; past-due rows turn red. */
  function tick() {
    const now = Date.now();
    for (const cell of document.querySelectorAll('#sla-rows td.countdown')) {
      const due = Number(cell.dataset.due);
      if (!Number.isFinite(due)) {
        cell.textContent = '—';
        continue;
      }
      const left = due - now;
      cell.textContent = formatCountdown(left);
      const row = cell.parentElement;
      const breached = left < 0;
      if (row.classList.contains('breached') !== breached) {
        row.classList.toggle('breached', breached);
        row.dataset.breached = String(breached);
        const stageCell = row.querySelector('[data-col="stage"]');
        const flag = stageCell.querySelector('.breach-flag');
        if (breached && !flag) stageCell.append(el('span', { className: 'badge breach-flag' }, 'Breached'));
        if (!breached && flag) flag.remove();
      } else if (row.dataset.breached === undefined) {
        row.dataset.breached = String(breached);
      }
    }
  }

  function renderRejections(report) {
    const reasons = report.reasons || [];
    replace(
      'rejections-table-wrap',
      dataTable({
        testid: 'rejections-table',
        caption: 'Rejections by reason',
        rowKey: 'reason',
        columns: [
          { key: 'reason', label: 'Reason', format: humanize },
          { key: 'count', label: 'Rejections', num: true, format: fmtNum },
          { key: 'share', label: 'Share', num: true, format: fmtPct },
        ],
        rows: reasons,
      }),
    );
    drawChart(
      'rejections-chart',
      {
        type: 'bar',
        data: {
          labels: reasons.map((r) => humanize(r.reason)),
          datasets: [
            {
              label: 'Rejections',
              data: reasons.map((r) => r.count),
              backgroundColor: reasons.map((r) => colorFor(reasonColors, r.reason)),
              maxBarThickness: 26,
            },
          ],
        },
        options: {
          indexAxis: 'y',
          layout: { padding: { right: 28 } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: false }, leadflowValueLabels: { enabled: true } },
        },
        plugins: [valueLabels],
      },
      { labels: reasons.map((r) => r.reason), datasets: [{ label: 'Rejections', data: reasons.map((r) => r.count) }] },
    );

    const overTime = report.overTime || [];
    const buckets = [...new Set(overTime.map((o) => o.bucket))].sort();
    const reasonKeys = [...new Set([...reasons.map((r) => r.reason), ...overTime.map((o) => o.reason)])];
    const count = (bucket, reason) =>
      overTime.filter((o) => o.bucket === bucket && o.reason === reason).reduce((s, o) => s + (o.count || 0), 0);
    drawChart(
      'rejections-time-chart',
      {
        type: 'bar',
        data: {
          labels: buckets.map(fmtDate),
          datasets: reasonKeys.map((reason) => ({
            label: humanize(reason),
            data: buckets.map((b) => count(b, reason)),
            backgroundColor: colorFor(reasonColors, reason),
            maxBarThickness: 48,
          })),
        },
        options: {
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        },
      },
      { labels: buckets, datasets: reasonKeys.map((reason) => ({ label: reason, data: buckets.map((b) => count(b, reason)) })) },
    );

    replace(
      'rejections-by-source',
      dataTable({
        testid: 'rejections-by-source-table',
        caption: 'By source channel',
        columns: [
          { key: 'channel', label: 'Channel', format: (v) => humanize(v ?? 'unknown') },
          { key: 'reason', label: 'Reason', format: humanize },
          { key: 'count', label: 'Rejections', num: true, format: fmtNum },
        ],
        rows: report.bySource || [],
      }),
    );
    replace(
      'rejections-by-rep',
      dataTable({
        testid: 'rejections-by-rep-table',
        caption: 'By rep',
        columns: [
          { key: 'rep', label: 'Rep' },
          { key: 'reason', label: 'Reason', format: humanize },
          { key: 'count', label: 'Rejections', num: true, format: fmtNum },
        ],
        rows: report.byRep || [],
      }),
    );
  }

  function renderVelocity(report) {
    const stages = report.stages || [];
    replace(
      'velocity-table-wrap',
      dataTable({
        testid: 'velocity-table',
        caption: 'Hours in each stage before the next step',
        rowKey: 'stage',
        columns: [
          { key: 'stage', label: 'Stage', format: stageLabel },
          { key: 'leads', label: 'Leads', num: true, format: fmtNum },
          { key: 'medianHours', label: 'Median', num: true, format: fmtHours },
          { key: 'p90Hours', label: 'p90', num: true, format: fmtHours },
        ],
        rows: stages,
      }),
    );
    drawChart(
      'velocity-chart',
      {
        type: 'bar',
        data: {
          labels: stages.map((s) => stageLabel(s.stage)),
          datasets: [
            { label: 'Median hours', data: stages.map((s) => (isNum(s.medianHours) ? s.medianHours : null)), backgroundColor: PALETTE[0] },
            { label: 'p90 hours', data: stages.map((s) => (isNum(s.p90Hours) ? s.p90Hours : null)), backgroundColor: PALETTE[1] },
          ],
        },
        options: {
          layout: { padding: { top: 18 } },
          scales: { y: { beginAtZero: true, title: { display: true, text: 'hours' } } },
          plugins: { legend: { position: 'bottom' }, leadflowValueLabels: { enabled: true } },
        },
        plugins: [valueLabels],
      },
      {
        labels: stages.map((s) => s.stage),
        datasets: [
          { label: 'medianHours', data: stages.map((s) => s.medianHours ?? null) },
          { label: 'p90Hours', data: stages.map((s) => s.p90Hours ?? null) },
        ],
      },
    );
  }

  /** Light to dark blue by acceptance rate; text switches to white on the dark half. */
  function heatColor(rate) {
    const t = Math.max(0, Math.min(1, rate));
    const lightness = 96 - t * 62;
    return { background: `hsl(206, 80%, ${lightness}%)`, color: lightness < 60 ? '#ffffff' : '#102a43' };
  }

  function renderCalibration(report) {
    const fitBands = report.fitBands || [];
    const engagementBands = report.engagementBands || [];
    const cells = report.cells || [];
    const cellFor = (fit, eng) => cells.find((c) => c.fitBand === fit && c.engagementBand === eng);
    const head = el(
      'tr',
      {},
      el('th', { scope: 'col', className: 'corner' }, 'Fit ↓ / Engagement →'),
      engagementBands.map((b) => el('th', { scope: 'col' }, b)),
    );
    const body = [...fitBands].reverse().map((fit) =>
      el(
        'tr',
        { dataset: { row: fit } },
        el('th', { scope: 'row' }, fit),
        engagementBands.map((eng) => {
          const cell = cellFor(fit, eng) || { mqls: 0, accepted: 0, won: 0, acceptanceRate: null, wonRate: null };
          const hasRate = isNum(cell.acceptanceRate) && cell.mqls > 0;
          const colors = hasRate ? heatColor(cell.acceptanceRate) : null;
          const td = el(
            'td',
            {
              className: hasRate ? 'heat' : 'heat none',
              'data-testid': 'calibration-cell',
              dataset: {
                fit,
                engagement: eng,
                mqls: String(cell.mqls ?? 0),
                accepted: String(cell.accepted ?? 0),
                won: String(cell.won ?? 0),
                acceptanceRate: String(cell.acceptanceRate ?? ''),
              },
              title: `${cell.mqls ?? 0} MQLs, ${cell.accepted ?? 0} accepted, ${cell.won ?? 0} won`,
            },
            el('span', { className: 'rate' }, hasRate ? fmtPct(cell.acceptanceRate) : '—'),
            el('span', { className: 'count' }, `${fmtNum(cell.mqls ?? 0)} MQL${cell.mqls === 1 ? '' : 's'}`),
          );
          if (colors) {
            td.style.backgroundColor = colors.background;
            td.style.color = colors.color;
          }
          return td;
        }),
      ),
    );
    replace(
      'calibration-wrap',
      el(
        'table',
        { className: 'heatmap', 'data-testid': 'calibration-heatmap' },
        el('caption', { className: 'visually-hidden' }, 'Acceptance rate by fit band (rows) and engagement band (columns)'),
        el('thead', {}, head),
        el('tbody', {}, body),
      ),
    );
    const accepted = report.accepted || {};
    const q = (o) => (o ? `${fmtNum(o.p25)} · ${fmtNum(o.median)} · ${fmtNum(o.p75)}` : '—');
    const thresholds = report.thresholds || {};
    stats('calibration-stats', [
      ['Accepted fit (p25 · median · p75)', q(accepted.fit), 'calibration-accepted-fit'],
      ['Accepted engagement (p25 · median · p75)', q(accepted.engagement), 'calibration-accepted-engagement'],
      ['MQL thresholds', `fit ${fmtNum(thresholds.fit)} · engagement ${fmtNum(thresholds.engagement)}`, 'calibration-thresholds'],
    ]);
  }

  function renderRecycling(report) {
    const days = report.daysToRequalify || {};
    stats('recycling-stats', [
      ['Recycled', fmtNum(report.recycled), 'recycling-recycled'],
      ['Qualified again', `${fmtNum(report.requalified)} (${fmtPct(report.requalifiedShare)})`, 'recycling-requalified'],
      ['Days to qualify again', `${fmtDays(days.median)} median · ${fmtDays(days.p90)} p90`, 'recycling-days'],
    ]);
    replace(
      'recycling-by-reason',
      dataTable({
        testid: 'recycling-table',
        caption: 'Recycled and qualified again, by reason',
        rowKey: 'reason',
        columns: [
          { key: 'reason', label: 'Reason', format: humanize },
          { key: 'recycled', label: 'Recycled', num: true, format: fmtNum },
          { key: 'requalified', label: 'Qualified again', num: true, format: fmtNum },
        ],
        rows: report.byReason || [],
      }),
    );
    const leads = report.leads || [];
    replace(
      'recycling-leads',
      dataTable({
        testid: 'recycling-leads-table',
        caption: 'Recycles, newest first',
        columns: [
          { key: 'leadId', label: 'Lead', format: (v) => el('a', { href: `#lead=${encodeURIComponent(v)}`, title: v }, shortId(v)) },
          { key: 'reason', label: 'Reason', format: humanize },
          { key: 'recycledAt', label: 'Recycled', format: fmtTime },
          { key: 'requalifiedAt', label: 'Qualified again', format: fmtTime },
          { key: 'days', label: 'Days', num: true, format: fmtNum },
        ],
        rows: leads,
        empty: 'No lead was recycled in this period',
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // Loading

  const reports = [
    ['funnel', () => withQuery('/v1/reports/funnel', `cohort=${bucket()}`, periodQuery()), renderFunnel],
    ['sla', () => withQuery('/v1/reports/sla', periodQuery()), renderSla],
    ['rejections', () => withQuery('/v1/reports/rejections', `bucket=${bucket()}`, periodQuery()), renderRejections],
    ['velocity', () => withQuery('/v1/reports/velocity', periodQuery()), renderVelocity],
    ['calibration', () => withQuery('/v1/reports/calibration', periodQuery()), renderCalibration],
    ['recycling', () => withQuery('/v1/reports/recycling', periodQuery()), renderRecycling],
  ];

  async function loadOverview() {
    const token = ++loadToken;
    const overview = $('overview');
    overview.dataset.state = 'loading';
    setStatus('Loading reports…');
    const results = await Promise.allSettled(reports.map(([, path]) => api(path())));
    if (token !== loadToken) return;
    const authFailure = results.find((r) => r.status === 'rejected' && r.reason instanceof AuthError);
    if (authFailure) {
      showAuth(authFailure.reason.message);
      return;
    }
    let failed = 0;
    results.forEach((result, i) => {
      const [panel, , render] = reports[i];
      if (result.status === 'fulfilled') {
        try {
          render(result.value);
          showError(panel, null);
        } catch (err) {
          failed++;
          showError(panel, err);
        }
      } else {
        failed++;
        showError(panel, result.reason);
      }
    });
    chartsDrawnOnce = true;
    overview.dataset.state = failed ? 'partial' : 'ready';
    setStatus(failed ? `${failed} of ${reports.length} reports could not be loaded` : `Updated ${dateTimeFormat.format(new Date())}`);
  }

  async function loadLead(leadId) {
    const page = $('lead-page');
    page.dataset.state = 'loading';
    page.dataset.leadId = leadId;
    $('lead-title').textContent = `Lead ${leadId}`;
    $('lead-facts').replaceChildren();
    $('lead-links').replaceChildren();
    $('lead-timeline').replaceChildren();
    showError('lead', null);
    try {
      const id = encodeURIComponent(leadId);
      const [leadBody, events] = await Promise.all([api(`/v1/leads/${id}`), loadHistory(id)]);
      if (page.dataset.leadId !== leadId) return;
      renderLead(leadBody.lead, events);
      page.dataset.state = 'ready';
    } catch (err) {
      if (err instanceof AuthError) return showAuth(err.message);
      showError('lead', err);
      page.dataset.state = 'error';
    }
  }

  async function loadHistory(id) {
    const events = [];
    let after = 0;
    for (let pages = 0; pages < 20; pages++) {
      const body = await api(`/v1/leads/${id}/history?limit=1000&afterSeq=${after}`);
      events.push(...(body.events || body.items || []));
      if (body.nextAfterSeq === null || body.nextAfterSeq === undefined) break;
      after = body.nextAfterSeq;
    }
    return events;
  }

  function eventSummary(e) {
    const d = e.data || {};
    switch (e.type) {
      case 'LeadCaptured':
        return `${d.profile && d.profile.email ? d.profile.email : 'New lead'}${d.source && d.source.channel ? ` from ${humanize(d.source.channel)}` : ''}`;
      case 'FormFilled':
        return `${humanize(d.formType)} form · fit ${fmtNum(d.fitScore)}, engagement ${fmtNum(d.engagementScore)}${d.handRaise ? ' · hand raised' : ''}`;
      case 'EngagementRecorded':
        return `${humanize(d.engagementType)} (+${fmtNum(d.points)}) → engagement ${fmtNum(d.engagementScore)}`;
      case 'LeadBecameMql':
        return `via ${humanize(d.via)} · fit ${fmtNum(d.fitScore)}, engagement ${fmtNum(d.engagementScore)}`;
      case 'LeadAssigned':
        return `to ${d.owner} · ${String(d.slaKind || '').toUpperCase()} SLA due ${fmtTime(d.slaDueAt)}`;
      case 'SlaReminderSent':
        return `${d.owner} reminded; due ${fmtTime(d.slaDueAt)}`;
      case 'SlaBreached':
        return `${d.owner} missed the ${String(d.slaKind || '').toUpperCase()} SLA (breach ${fmtNum(d.breach)}); escalated to ${d.escalateTo}`;
      case 'LeadAccepted':
        return `by ${d.rep} · SAL SLA due ${fmtTime(d.slaDueAt)}`;
      case 'LeadRejected':
        return `by ${d.rep}: ${humanize(d.reason)}${d.note ? ` — ${d.note}` : ''}`;
      case 'LeadQualified':
        return `by ${d.rep} · opportunity ${d.opportunityId}`;
      case 'LeadRecycled':
        return `${humanize(d.reason)} (from ${stageLabel(d.from)})${d.coolOffUntil ? ` · cool-off until ${fmtTime(d.coolOffUntil)}` : ''}`;
      case 'LeadWon':
        return `by ${d.rep}`;
      case 'LeadLost':
        return `by ${d.rep}: ${humanize(d.reason)}`;
      case 'LeadDisqualified':
        return `by ${d.by}: ${humanize(d.reason)}`;
      default:
        return '';
    }
  }

  function renderLead(lead, events) {
    const name = lead.fullName || lead.email || lead.leadId;
    $('lead-title').textContent = lead.company ? `${name} · ${lead.company}` : name;
    const sla = lead.sla || null;
    stats('lead-facts', [
      ['Lead id', lead.leadId, 'lead-id'],
      ['Stage', stageLabel(lead.stage), 'lead-stage'],
      ['Owner', lead.owner || '—', 'lead-owner'],
      ['Source', lead.source && lead.source.channel ? humanize(lead.source.channel) : '—', 'lead-source'],
      ['Fit · engagement', `${fmtNum(lead.fitScore)} · ${fmtNum(lead.engagementScore)}`, 'lead-scores'],
      ['SLA due', sla && sla.dueAt ? fmtTime(sla.dueAt) : '—', 'lead-sla'],
    ]);
    const links = lead.links || {};
    if (links.temporal) {
      $('lead-links').replaceChildren(
        el(
          'a',
          { href: links.temporal, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'temporal-link', className: 'button-link' },
          'Open the workflow in the Temporal UI',
          el('span', { className: 'visually-hidden' }, ' (opens in a new tab)'),
        ),
      );
    }
    $('lead-timeline').replaceChildren(
      ...events.map((e) =>
        el(
          'li',
          { 'data-testid': 'timeline-event', dataset: { type: e.type, seq: String(e.seq) } },
          el('time', { datetime: e.occurredAt }, fmtTime(e.occurredAt)),
          el('span', { className: 'event-type' }, `${e.seq}. ${e.type}`),
          el('span', { className: 'event-detail' }, eventSummary(e)),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // Navigation and sign-in

  function setStatus(text) {
    $('status').textContent = text;
  }

  /** `#key=…` (from npm start's link) is stored for the tab and removed from the address bar. */
  function takeKeyFromFragment() {
    const parts = location.hash.replace(/^#/, '').split('&').filter(Boolean);
    const keyPart = parts.find((p) => p.startsWith('key='));
    if (!keyPart) return;
    try {
      const key = decodeURIComponent(keyPart.slice(4)).trim();
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
    } catch {
      // a malformed fragment: ignore it, the form asks for the key
    }
    const rest = parts.filter((p) => p !== keyPart).join('&');
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }

  function leadFromHash() {
    const match = /(?:^#|&)lead=([^&]+)/.exec(location.hash);
    if (!match) return null;
    try {
      return decodeURIComponent(match[1]);
    } catch {
      return null;
    }
  }

  function showAuth(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    $('overview').hidden = true;
    $('lead-page').hidden = true;
    $('controls').hidden = true;
    $('auth').hidden = false;
    $('auth-error').textContent = message || '';
    setStatus('');
    $('api-key').focus();
  }

  function route() {
    if (!apiKey()) return showAuth('');
    $('auth').hidden = true;
    $('controls').hidden = false;
    const leadId = leadFromHash();
    $('period-line').hidden = Boolean(leadId);
    if (leadId) {
      $('overview').hidden = true;
      $('lead-page').hidden = false;
      document.title = 'Leadflow · Lead';
      void loadLead(leadId);
      $('lead-title').focus({ preventScroll: true });
      window.scrollTo(0, 0);
    } else {
      $('lead-page').hidden = true;
      $('overview').hidden = false;
      document.title = 'Leadflow · Reports';
      if (!$('overview').dataset.state || $('overview').dataset.state === 'idle') void loadOverview();
      else window.requestAnimationFrame(() => charts.forEach((c) => c.resize()));
    }
  }

  function init() {
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
    Chart.defaults.color = '#334e68';
    $('lead-title').tabIndex = -1;

    takeKeyFromFragment();

    $('auth-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const key = $('api-key').value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY_STORAGE, key);
      $('api-key').value = '';
      $('auth-error').textContent = '';
      $('overview').dataset.state = 'idle';
      route();
    });
    $('forget-key').addEventListener('click', () => {
      $('overview').dataset.state = 'idle';
      showAuth('The key was removed from this tab.');
    });
    $('refresh').addEventListener('click', () => (leadFromHash() ? route() : void loadOverview()));
    $('period').addEventListener('change', () => void loadOverview());
    $('bucket').addEventListener('change', () => void loadOverview());
    $('controls').addEventListener('submit', (event) => event.preventDefault());

    const setFunnelView = (view) => {
      funnelView = view;
      $('funnel-total').setAttribute('aria-pressed', String(view === 'total'));
      $('funnel-by-source').setAttribute('aria-pressed', String(view === 'source'));
      if (funnelReport) renderFunnel(funnelReport);
    };
    $('funnel-total').addEventListener('click', () => setFunnelView('total'));
    $('funnel-by-source').addEventListener('click', () => setFunnelView('source'));

    // A click anywhere on an SLA row opens the lead (the lead id inside is the keyboard-reachable link).
    $('sla-rows').addEventListener('click', (event) => {
      const row = event.target.closest('tr[data-href]');
      if (!row || event.target.closest('a')) return;
      location.hash = row.dataset.href;
    });

    window.addEventListener('hashchange', route);
    setInterval(tick, 1000);
    setInterval(() => {
      if (document.visibilityState === 'visible' && !$('overview').hidden && apiKey()) void loadOverview();
    }, REFRESH_EVERY_MS);

    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
