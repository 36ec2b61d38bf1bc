// What other features use of hooks: a stored webhook delivery as the API shows it.
export { toDelivery } from './deliveries.ts';
