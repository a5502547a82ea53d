// rooflm report page: builds every section and Vega-Lite chart from the JSON that `rooflm report`
// embeds in <script id="rooflm-data">. Runs offline: vega, vega-lite and vega-embed are inlined.
// Each chart div gets data-rendered="true" once drawn; errors are counted in body[data-errors].
(function () {
  'use strict';
  const errors = [];
  const recordError = (message) => {
    errors.push(String(message));
    document.body.dataset.errors = String(errors.length);
    const list = document.getElementById('errors');
    if (list) { list.hidden = false; list.textContent = errors.join('\n'); }
  };
  window.addEventListener('error', (e) => recordError(e.message));
  window.addEventListener('unhandledrejection', (e) => recordError(e.reason));
  const consoleError = console.error.bind(console);
  console.error = (...args) => { recordError(args.join(' ')); consoleError(...args); };

  const data = JSON.parse(document.getElementById('rooflm-data').textContent);
  const fmt = (v, d) => (v === null || v === undefined || Number.isNaN(v)) ? '-' : Number(v).toFixed(d);
  const el = (tag, attrs, children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of [].concat(children || [])) node.append(c instanceof Node ? c : String(c));
    return node;
  };
  const table = (header, rows) => el('table', {}, [
    el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))),
  ]);
  const section = (id, title, children) => {
    const s = el('section', { id }, [el('h2', {}, title)].concat(children));
    document.getElementById('sections').append(s);
    return s;
  };
  let pendingCharts = 0;
  const chart = (parent, name, spec) => {
    const div = el('div', { class: 'chart', 'data-chart': name });
    parent.append(div);
    pendingCharts += 1;
    spec.$schema = 'https://vega.github.io/schema/vega-lite/v5.json';
    spec.width = spec.width || 560;
    spec.height = spec.height || 260;
    vegaEmbed(div, spec, { renderer: 'svg', actions: false })
      .then(() => { div.dataset.rendered = 'true'; })
      .catch((e) => recordError(name + ': ' + e))
      .finally(() => {
        pendingCharts -= 1;
        if (pendingCharts === 0) document.body.dataset.chartsDone = 'true';
      });
  };

  const runs = [];  // every run of every file: {file, fileIndex, runIndex, id, name, run}
  data.files.forEach((f, fi) => f.runs.forEach((r, ri) => runs.push({
    file: f, fileIndex: fi, runIndex: ri, id: `run-${fi}-${ri}`,
    name: (data.files.length > 1 ? f.name + ': ' : '') + r.label, run: r,
  })));

  // links between the files and runs compared
  const nav = document.getElementById('links');
  nav.append(el('span', {}, 'Runs: '));
  runs.forEach((r) => nav.append(el('a', { href: '#' + r.id }, r.name), ' '));

  // environment and ceilings
  section('environment', 'Environment and ceilings', data.files.map((f) => el('div', {}, [
    el('h3', {}, f.name),
    table(['key', 'value'], ['gpu', 'driver', 'cuda', 'clocks', 'host', 'cpu', 'git_commit', 'timestamp']
      .map((k) => [k, typeof f.environment[k] === 'object' && f.environment[k] !== null ? JSON.stringify(f.environment[k]) : String(f.environment[k])])),
    table(['run', 'ceiling', 'bandwidth GB/s', 'compute TFLOP/s'], f.runs.flatMap((r) =>
      Object.entries(r.ceilings || {}).filter(([, c]) => c).map(([k, c]) =>
        [r.label, k, fmt(c.bandwidth_bytes_per_s / 1e9, 0), fmt(c.flops_per_s / 1e12, 1)]))),
  ])));

  // the scenario
  section('scenario', 'Scenario', data.files.map((f) => el('div', {}, [
    el('h3', {}, `${f.scenario.name}: ${f.scenario.description || ''}`),
    el('pre', {}, JSON.stringify(f.scenario.resolved, null, 2)),
  ])));

  // variant comparison table
  const pct = (s, k) => fmt(s && s[k], 2);
  const util = (u) => u ? Object.entries(u).map(([phase, v]) => `${phase[0]}:${fmt(100 * v.datasheet, 0)}%`).join(' ') : '-';
  // accuracy against the run's reference precision (runs[i].accuracy), or '-' where not evaluated
  const sci = (v) => (v === null || v === undefined || Number.isNaN(v)) ? '-' : Number(v).toExponential(2);
  const accuracyCell = (a) => a
    ? `KL ${sci(a.kl_mean)} / top-1 ${fmt(100 * a.top1_agreement, 1)}% / NMSE ${sci(a.logit_nmse)} / ppl ${fmt(a.perplexity, 2)} (ref ${fmt(a.perplexity_reference, 2)}, ${a.reference})`
    : '-';
  section('variants', 'Variant comparison', [table(
    ['variant', 'kernels', 'done', 'TTFT p50/p90/p99', 'TPOT p50/p90/p99', 'ITL p50/p99', 'E2E p50/p99',
      'out tok/s', 'req/s', 'goodput req/s', 'energy J', 'out tok/J', 'accuracy vs reference', 'MBU', 'MFU', 'valid'],
    runs.map((r) => {
      const s = r.run.summary;
      return [el('a', { href: '#' + r.id, id: r.id }, r.name), r.run.kernels.join(', '),
        `${s.requests.completed}/${s.requests.completed + s.requests.failed}`,
        `${pct(s.ttft_ms, 'p50')} / ${pct(s.ttft_ms, 'p90')} / ${pct(s.ttft_ms, 'p99')}`,
        `${pct(s.tpot_ms, 'p50')} / ${pct(s.tpot_ms, 'p90')} / ${pct(s.tpot_ms, 'p99')}`,
        `${pct(s.itl_ms, 'p50')} / ${pct(s.itl_ms, 'p99')}`, `${pct(s.e2e_ms, 'p50')} / ${pct(s.e2e_ms, 'p99')}`,
        fmt(s.throughput.output_tok_s, 1), fmt(s.throughput.req_s, 2), fmt(s.goodput_req_s, 2),
        fmt(s.energy_j, 2), fmt(s.tokens_per_j, 3),
        accuracyCell(r.run.accuracy), util(s.mbu), util(s.mfu), r.run.valid ? 'yes' : (r.run.telemetry && r.run.telemetry.throttled ? 'INVALID (throttled)' : 'INVALID')];
    }))]);

  // accuracy beside speed: one row per run with an accuracy evaluation, and KL against TPOT
  const accurate = runs.filter((r) => r.run.accuracy);
  if (accurate.length) {
    const accuracySection = section('accuracy', 'Accuracy beside speed', [
      el('p', {}, 'Each run\'s logits against its backend\'s reference precision on the same weights and seeded teacher-forced token streams (README "Precision: accuracy beside speed").'),
      table(['variant', 'precision', 'reference', 'TPOT p50 ms', 'out tok/s', 'KL mean (nats)', 'top-1 agreement', 'logit NMSE', 'perplexity', 'perplexity (reference)'],
        accurate.map((r) => {
          const a = r.run.accuracy, s = r.run.summary;
          return [r.name, r.run.variant.precision || '-', a.reference, pct(s.tpot_ms, 'p50'), fmt(s.throughput.output_tok_s, 1),
            sci(a.kl_mean), `${fmt(100 * a.top1_agreement, 2)}%`, sci(a.logit_nmse), fmt(a.perplexity, 3), fmt(a.perplexity_reference, 3)];
        })),
    ]);
    chart(accuracySection, 'accuracy', {
      data: { values: accurate.map((r) => ({ run: r.name, tpot: r.run.summary.tpot_ms.p50, kl: r.run.accuracy.kl_mean })) },
      mark: { type: 'point', filled: true, size: 80 },
      encoding: {
        x: { field: 'tpot', type: 'quantitative', title: 'TPOT p50 (ms)' },
        y: { field: 'kl', type: 'quantitative', title: 'mean KL vs reference (nats)' },
        color: { field: 'run', type: 'nominal' },
        tooltip: [{ field: 'run' }, { field: 'tpot', format: '.3f' }, { field: 'kl', format: '.3e' }] },
    });
  }

  // roofline: log-log, roofs of the datasheet and calibrated ceilings, each phase (and kernel) a point
  const rooflineSection = section('roofline', 'Roofline', []);
  const roofs = [], points = [], roofNames = new Set();
  runs.forEach((r) => {
    Object.entries(r.run.ceilings || {}).forEach(([kind, c]) => {
      if (!c || roofNames.has(`${r.file.name} ${kind}`)) return;  // one roof per file and kind
      roofNames.add(`${r.file.name} ${kind}`);
      const ridge = c.flops_per_s / c.bandwidth_bytes_per_s;
      for (const x of [0.1, ridge, 10000]) {
        roofs.push({ roof: `${r.file.name} ${kind}`, intensity: x, flops: Math.min(c.flops_per_s, c.bandwidth_bytes_per_s * x) / 1e12 });
      }
    });
    (r.run.phases || []).forEach((p) => points.push({ run: r.name, point: p.phase, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
    (r.run.kernel_points || []).forEach((p) => points.push({ run: r.name, point: p.name, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
    ((r.run.profile || {}).ops || []).filter((p) => p.arithmetic_intensity > 0 && p.achieved_flops_per_s > 0)
      .forEach((p) => points.push({ run: r.name, point: 'ncu ' + p.op, intensity: p.arithmetic_intensity, flops: p.achieved_flops_per_s / 1e12 }));
  });
  if (roofs.length || points.length) {
    chart(rooflineSection, 'roofline', {
      layer: [
        { data: { values: roofs }, mark: 'line', encoding: {
          x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' }, title: 'arithmetic intensity (FLOP/byte)' },
          y: { field: 'flops', type: 'quantitative', scale: { type: 'log' }, title: 'TFLOP/s' },
          strokeDash: { field: 'roof', type: 'nominal', title: 'roof' } } },
        { data: { values: points }, mark: { type: 'point', filled: true, size: 80 }, encoding: {
          x: { field: 'intensity', type: 'quantitative' }, y: { field: 'flops', type: 'quantitative' },
          color: { field: 'run', type: 'nominal' }, shape: { field: 'point', type: 'nominal', title: 'phase / kernel' },
          tooltip: [{ field: 'run' }, { field: 'point' }, { field: 'intensity', format: '.2f' }, { field: 'flops', format: '.2f' }] } },
      ],
    });
  } else {
    rooflineSection.append(el('p', {}, 'No GPU spec for these runs (cpu backend): no roofline.'));
  }

  // latency CDFs
  const cdfSection = section('latency', 'Latency CDFs', []);
  for (const metric of ['ttft_ms', 'tpot_ms', 'itl_ms', 'e2e_ms']) {
    const values = [];
    runs.forEach((r) => {
      const samples = (r.run.samples[metric] || []).slice().sort((a, b) => a - b);
      samples.forEach((v, i) => values.push({ run: r.name, ms: v, fraction: (i + 1) / samples.length }));
    });
    chart(cdfSection, 'cdf-' + metric, {
      title: metric, data: { values }, mark: { type: 'line', interpolate: 'step-after' },
      encoding: { x: { field: 'ms', type: 'quantitative', title: metric.replace('_ms', ' (ms)') },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction of samples' }, color: { field: 'run', type: 'nominal' } },
    });
  }

  // throughput-latency curves (one point per variant; a rate sweep draws a curve per file)
  const tl = runs.map((r) => ({ file: r.file.name, run: r.name, throughput: r.run.summary.throughput.output_tok_s,
    p50: r.run.summary.e2e_ms.p50, p99: r.run.summary.e2e_ms.p99, tpot_p50: r.run.summary.tpot_ms.p50 }));
  chart(section('throughput-latency', 'Throughput vs latency', []), 'throughput-latency', {
    data: { values: tl }, transform: [{ fold: ['p50', 'p99'], as: ['percentile', 'e2e_ms'] }],
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'throughput', type: 'quantitative', title: 'output tokens/s' },
      y: { field: 'e2e_ms', type: 'quantitative', title: 'E2E latency (ms)' },
      color: { field: 'file', type: 'nominal' }, strokeDash: { field: 'percentile', type: 'nominal' },
      tooltip: [{ field: 'run' }, { field: 'throughput', format: '.1f' }, { field: 'e2e_ms', format: '.1f' }] },
  });

  // time series of batch size, KV occupancy and step time
  const tsSection = section('timeseries', 'Batch size, KV occupancy and step time', []);
  const steps = [];
  runs.forEach((r) => (r.run.steps || []).forEach((s) => steps.push(Object.assign({ run: r.name }, s))));
  for (const [field, title] of [['n_seqs', 'sequences in the step'], ['kv_occupancy', 'KV occupancy (used / capacity)'], ['step_ms', 'step time (ms)']]) {
    chart(tsSection, 'ts-' + field, {
      title, height: 180, data: { values: steps }, mark: { type: 'line', interpolate: 'step-after' },
      encoding: { x: { field: 'start_s', type: 'quantitative', title: 'time (s)' },
        y: { field, type: 'quantitative', title }, color: { field: 'run', type: 'nominal' } },
    });
  }

  // per-kernel breakdown when present
  const kernelRows = [];
  runs.forEach((r) => (r.run.kernel_breakdown || []).forEach((k) => kernelRows.push(Object.assign({ run: r.name }, k))));
  const kernelSection = section('kernels', 'Per-kernel breakdown', []);
  if (kernelRows.length) {
    kernelRows.forEach((k) => { k.label = (k.op || 'graph replay') + ': ' + k.kernel; });
    chart(kernelSection, 'kernels', {
      data: { values: kernelRows }, mark: 'bar', height: { step: 14 },
      encoding: { y: { field: 'label', type: 'nominal', title: 'op: kernel', sort: '-x' }, x: { field: 'ms', type: 'quantitative', title: 'GPU time (ms)' },
        color: { field: 'run', type: 'nominal' }, yOffset: { field: 'run' },
        tooltip: [{ field: 'run' }, { field: 'op' }, { field: 'kernel' }, { field: 'calls' }, { field: 'ms', format: '.3f' }, { field: 'mean_us', format: '.2f' }, { field: 'share', format: '.1%' }] },
    });
    const opRows = [];
    runs.forEach((r) => (r.run.kernel_points || []).forEach((p) => opRows.push([r.name, p.name, p.calls, fmt(p.measured_ms, 3), fmt(p.predicted_ms, 3),
      fmt(p.arithmetic_intensity, 2), fmt(p.achieved_flops_per_s / 1e12, 2), fmt(p.achieved_bytes_per_s / 1e9, 0), p.bound, fmt(p.roofline_fraction, 2)])));
    if (opRows.length) {
      kernelSection.append(el('p', {}, 'Per op (eagerly launched steps; FLOPs and bytes from the cost model, time from the kernel trace):'));
      kernelSection.append(table(['run', 'op', 'launches', 'GPU ms', 'roofline ms', 'FLOP/byte', 'TFLOP/s', 'GB/s', 'bound', 'roofline / measured'], opRows));
    }
  } else {
    kernelSection.append(el('p', {}, 'Chosen kernels: ' + runs.map((r) => `${r.name}: ${r.run.kernels.join(', ')}`).join('; ') +
      '. No per-kernel timings in these results: run on the cuda backend with --set measure.kernel_trace=true' +
      runs.filter((r) => r.run.kernel_trace && r.run.kernel_trace !== 'traced').map((r) => ` (${r.name}: ${r.run.kernel_trace})`).join('') + '.'));
  }

  // rooflm profile: ncu's DRAM bytes per op call beside the cost model's
  const profiled = runs.filter((r) => r.run.profile && r.run.profile.ops);
  if (profiled.length) {
    const rows = [];
    profiled.forEach((r) => r.run.profile.ops.forEach((o) => rows.push([r.name, o.op || '(no op)', o.launches, fmt(o.duration_us, 2),
      fmt(o.measured_bytes_per_call / 1e6, 3), o.model_bytes_per_call == null ? '-' : fmt(o.model_bytes_per_call / 1e6, 3),
      o.measured_over_model == null ? '-' : fmt(o.measured_over_model, 3), o.model_off ? 'off by > 10%' : ''])));
    section('profile', 'Nsight Compute profile', [
      el('p', {}, 'rooflm profile --tool ncu: per op, the DRAM bytes ncu counted per call (steps ' +
        profiled.map((r) => `${r.name}: ${r.run.profile.steps}`).join('; ') + ') beside the cost model\'s; ncu locks clocks to base and flushes caches, so its times are not the run\'s.'),
      table(['run', 'op', 'launches', 'us / call', 'ncu MB / call', 'model MB / call', 'ncu / model', ''], rows),
    ]);
  }

  // SLO and goodput
  const sloSection = section('slo', 'SLO and goodput', data.files.map((f) =>
    el('p', {}, `${f.name}: SLO ${JSON.stringify(f.scenario.resolved.slo || {})}`)));
  chart(sloSection, 'goodput', {
    data: { values: runs.map((r) => ({ run: r.name, 'requests/s': r.run.summary.throughput.req_s, 'goodput (meets every SLO)': r.run.summary.goodput_req_s })) },
    transform: [{ fold: ['requests/s', 'goodput (meets every SLO)'], as: ['measure', 'req_s'] }],
    mark: 'bar', encoding: { y: { field: 'run', type: 'nominal' }, x: { field: 'req_s', type: 'quantitative', title: 'requests/s' },
      color: { field: 'measure', type: 'nominal' }, yOffset: { field: 'measure' } },
  });
  if (pendingCharts === 0) document.body.dataset.chartsDone = 'true';
}());
