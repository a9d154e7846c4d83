// Runs as soon as it is loaded, before the rest of the app: on the week's
// page it asks for the week the page will show, so that the answer travels
// while the other modules load (the week view takes it over).

import { prefetch } from './api.js';
import { weekOf, scheduleParams } from './state.js';

if (location.pathname === '/') {
  performance.mark('tvshows:boot');
  const { state, days } = weekOf(location.search);
  prefetch('/api/v1/week', scheduleParams(state, days[0], days[6]));
}
