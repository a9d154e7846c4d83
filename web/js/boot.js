// Runs before the rest of the app: on the week's page it asks for the week
// the page will show, so that the answer travels while the other modules
// load (the week view takes it over).

import { prefetch } from './api.js';
import { readState, weekOf, scheduleParams } from './state.js';
import { weekDays } from './time.js';

if (location.pathname === '/') {
  performance.mark('tvshows:boot');
  // A link or a reload names its week and zone: they are asked for at once,
  // before the browser loads its time-zone data to check the zone (a zone
  // the view does not take costs a request, never a wrong answer: the view
  // asks for its own URL).
  const named = readState(location.search);
  const { state, days } = named.week && named.tz ? { state: named, days: weekDays(named.week) } : weekOf(location.search);
  prefetch('/api/v1/week', scheduleParams(state, days[0], days[6]));
}
