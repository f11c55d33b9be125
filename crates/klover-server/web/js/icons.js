// Small inline SVG icons, drawn with paths so they need no emoji or symbol font (a
// character such as 💡 or ✦ shows as an empty box on a machine without one).

import { svg } from './dom.js';

function icon(name, viewBox, size, ...shapes) {
  return svg('svg', {
    class: `icon icon-${name}`, viewBox, width: size, height: size, 'aria-hidden': 'true', focusable: 'false',
  }, ...shapes);
}

/** The aha mark: a four-pointed spark. */
export function sparkIcon(size = '14') {
  return icon('spark', '0 0 16 16', size,
    svg('path', { d: 'M8 0.5 9.9 6.1 15.5 8 9.9 9.9 8 15.5 6.1 9.9 0.5 8 6.1 6.1Z', fill: 'currentColor' }));
}

/** A tick (mastered, reached). */
export function checkIcon(size = '12') {
  return icon('check', '0 0 12 12', size,
    svg('path', { d: 'M2 6.4 4.8 9.2 10 3', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.9', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}

/** An open ring (available). */
export function ringIcon(size = '10') {
  return icon('ring', '0 0 10 10', size,
    svg('circle', { cx: '5', cy: '5', r: '3.8', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.4' }));
}

/** A small filled dot (a concept met but not finished). */
export function dotIcon(size = '8') {
  return icon('dot', '0 0 8 8', size, svg('circle', { cx: '4', cy: '4', r: '2.5', fill: 'currentColor' }));
}

/** Two arrows in a circle: a review. */
export function reviewIcon(size = '16') {
  return icon('review', '0 0 16 16', size,
    svg('path', { d: 'M13.5 6.5A5.7 5.7 0 0 0 3 5M2.5 9.5A5.7 5.7 0 0 0 13 11', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6', 'stroke-linecap': 'round' }),
    svg('path', { d: 'M2.2 1.8V5.4H5.8M13.8 14.2V10.6H10.2', fill: 'none', stroke: 'currentColor', 'stroke-width': '1.6', 'stroke-linecap': 'round', 'stroke-linejoin': 'round' }));
}
