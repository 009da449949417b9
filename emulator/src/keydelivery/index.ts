export { keyDeliveryRouter, type KeyDeliveryOptions } from './key-delivery-route.js';
