/*
 * Sluice status page: draws the per-minute chart as inline SVG and refreshes
 * the page's sections every few seconds from admin-ajax (action
 * sluice_status, with the page's nonce). The sections' HTML is built and
 * escaped by the server (StatusSections); the chart's text goes in through
 * textContent only. No build step, no dependency.
 */
(function () {
  'use strict';

  var cfg = window.sluiceStatus;
  var root = document.getElementById('sluice-status');
  if (!cfg || !root) {
    return;
  }
  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = { slots: '#2271b1', limit: '#8c8f94', deferred: '#d63638', completed: '#00a32a', provider: '#dba617' };

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function drawChart(data) {
    var box = document.getElementById('sluice-chart');
    if (!box || !data || !data.minutes) {
      return;
    }
    var W = 900, H = 260, L = 44, R = 16, T = 16, B = 56;
    var n = data.minutes.length;
    var series = ['slots', 'limit', 'deferred', 'completed'];
    // The provider limit in force (the adaptive limit) once a protected provider has been sampled.
    if ((data.provider || []).some(function (v) { return v !== null; })) {
      series.push('provider');
    }
    var max = 1;
    series.forEach(function (s) {
      (data[s] || []).forEach(function (v) { max = Math.max(max, v || 0); });
    });
    // An even top, so the middle grid line is a whole number too.
    max = Math.max(2, Math.ceil(max * 1.1));
    max += max % 2;
    var x = function (i) { return L + (n > 1 ? i * (W - L - R) / (n - 1) : 0); };
    var y = function (v) { return T + (H - T - B) * (1 - v / max); };
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'class': 'sluice-chart-svg', preserveAspectRatio: 'xMidYMid meet' });
    svg.appendChild(el('title', {}, cfg.i18n.slots + ', ' + cfg.i18n.deferred + ', ' + cfg.i18n.completed + ' ' + cfg.i18n.perMinute));
    // Grid and axes.
    [0, max / 2, max].forEach(function (v) {
      svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), 'class': 'sluice-grid-line' }));
      svg.appendChild(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'class': 'sluice-axis' }, String(v)));
    });
    [0, Math.floor((n - 1) / 2), n - 1].forEach(function (i) {
      if (i >= 0 && i < n) {
        svg.appendChild(el('text', { x: x(i), y: H - B + 16, 'text-anchor': i === 0 ? 'start' : (i === n - 1 ? 'end' : 'middle'), 'class': 'sluice-axis' }, data.minutes[i]));
      }
    });
    // Deferrals and finished steps as thin bars, side by side in each minute.
    var bw = Math.max(1, (W - L - R) / Math.max(1, n) / 3);
    ['deferred', 'completed'].forEach(function (s, k) {
      var g = el('g', { 'class': 'sluice-series sluice-series-' + s, fill: COLORS[s] });
      (data[s] || []).forEach(function (v, i) {
        if (v > 0) {
          var r = el('rect', { x: x(i) - bw + k * bw, y: y(v), width: bw, height: y(0) - y(v), 'data-value': v });
          r.appendChild(el('title', {}, data.minutes[i] + ' ' + cfg.i18n[s] + ': ' + v));
          g.appendChild(r);
        }
      });
      svg.appendChild(g);
    });
    // Slots in use and the limit as lines.
    ['limit', 'slots'].forEach(function (s) {
      var points = (data[s] || []).map(function (v, i) { return x(i).toFixed(1) + ',' + y(v).toFixed(1); }).join(' ');
      svg.appendChild(el('polyline', {
        points: points, fill: 'none', stroke: COLORS[s], 'stroke-width': s === 'slots' ? 2 : 1,
        'stroke-dasharray': s === 'limit' ? '4 3' : 'none', 'class': 'sluice-series sluice-series-' + s
      }));
    });
    // The provider limit in force as a line, broken where no sample was taken (0: a circuit was open).
    if (series.indexOf('provider') >= 0) {
      var run = [];
      var flush = function () {
        if (run.length > 0) {
          svg.appendChild(el('polyline', {
            points: run.join(' '), fill: 'none', stroke: COLORS.provider, 'stroke-width': 2,
            'stroke-dasharray': '2 2', 'class': 'sluice-series sluice-series-provider'
          }));
        }
        run = [];
      };
      data.provider.forEach(function (v, i) {
        if (v === null) {
          flush();
        } else {
          run.push(x(i).toFixed(1) + ',' + y(v).toFixed(1));
        }
      });
      flush();
    }
    // Legend.
    var lx = L;
    series.forEach(function (s) {
      svg.appendChild(el('rect', { x: lx, y: H - 22, width: 12, height: 12, fill: COLORS[s] }));
      var label = el('text', { x: lx + 16, y: H - 12, 'class': 'sluice-legend' }, cfg.i18n[s]);
      svg.appendChild(label);
      lx += 32 + 7 * cfg.i18n[s].length;
    });
    svg.appendChild(el('text', { x: W - R, y: H - 12, 'text-anchor': 'end', 'class': 'sluice-axis' }, cfg.i18n.perMinute));
    var total = 0;
    ['slots', 'deferred', 'completed'].forEach(function (s) {
      (data[s] || []).forEach(function (v) { total += v; });
    });
    box.textContent = '';
    box.appendChild(svg);
    box.setAttribute('data-points', String(total));
    if (total === 0) {
      var p = document.createElement('p');
      p.className = 'sluice-empty';
      p.textContent = cfg.i18n.noData;
      box.appendChild(p);
    }
  }

  function setUpdated(text, failed) {
    var node = document.getElementById('sluice-updated');
    if (node) {
      node.textContent = text;
      node.className = failed ? 'sluice-bad' : '';
    }
  }

  function render(payload) {
    var sections = payload.sections || {};
    Object.keys(sections).forEach(function (id) {
      var node = root.querySelector('[data-sluice-section="' + id + '"]');
      // Server-built, server-escaped HTML (StatusSections); only swapped when it changed.
      if (node && node.innerHTML !== sections[id]) {
        node.innerHTML = sections[id];
      }
    });
    drawChart(payload.chart);
    setUpdated(cfg.i18n.updated + ' ' + payload.at, false);
  }

  var timer = null;
  function refresh() {
    var url = cfg.ajaxUrl + '?action=sluice_status&_ajax_nonce=' + encodeURIComponent(cfg.nonce);
    // The capacity section's what-if limit, if the page was asked for one, so the refreshed section keeps it.
    var whatIf = new URLSearchParams(window.location.search).get('sluice_capacity_limit');
    if (whatIf) {
      url += '&sluice_capacity_limit=' + encodeURIComponent(whatIf);
    }
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok || !body || !body.success) {
            throw new Error((body && body.data && body.data.message) || ('HTTP ' + response.status));
          }
          return body.data;
        });
      })
      .then(function (data) {
        render(data);
        root.setAttribute('data-sluice-state', 'live');
      })
      .catch(function (error) {
        setUpdated(cfg.i18n.failed + ' ' + error.message, true);
        root.setAttribute('data-sluice-state', 'failed');
      })
      .then(schedule);
  }

  // Every few seconds while the tab is visible; a hidden tab stops polling until it shows again.
  function schedule() {
    timer = document.hidden ? null : window.setTimeout(refresh, cfg.refreshMs);
  }

  // A confirm() before destructive buttons (reset key).
  root.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && timer === null) {
      refresh();
    }
  });

  var initial = document.getElementById('sluice-chart-data');
  drawChart(initial ? JSON.parse(initial.textContent) : null);
  root.setAttribute('data-sluice-state', 'ready');
  schedule();
}());
