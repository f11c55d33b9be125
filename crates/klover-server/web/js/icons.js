// Small inline SVG icons, drawn with paths so they need no emoji or symbol font (a
// character such as 💡 or ✦ shows as an empty box on a machine without one).

import { svg } from './dom.js';

function icon(name, viewBox, size, ...shapes) {
  return svg('svg', {
    class: `icon icon-${name}`, viewBox, width: size, height: size, 'aria-hidden': 'true', focusable: 'false',
  }, ...shapes);
}

/** The aha mark: a light bulb (what 💡 means, without needing an emoji font). */
export function bulbIcon(size = '14') {
  return icon('bulb', '0 0 16 16', size,
    svg('path', { d: 'M8 .8a5 5 0 0 0-3 9c.55.42.85.98.85 1.6v.5h4.3v-.5c0-.62.3-1.18.85-1.6A5 5 0 0 0 8 .8Z', fill: 'currentColor' }),
    svg('rect', { x: '5.85', y: '12.7', width: '4.3', height: '1.2', rx: '.4', fill: 'currentColor' }),
    svg('rect', { x: '6.5', y: '14.5', width: '3', height: '1', rx: '.4', fill: 'currentColor' }));
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
