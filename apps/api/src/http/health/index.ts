// What other features use of health: the log level of routes that are polled all day.
export { QUIET_ROUTE } from './plugin.ts';
