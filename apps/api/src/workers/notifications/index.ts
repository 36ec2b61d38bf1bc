// The outgoing webhooks: started by main.ts; the HTTP feature lists their deliveries.
export { startNotifier, eventsOf, type Notifier } from './notifier.ts';
export { signBody } from './deliver.ts';
