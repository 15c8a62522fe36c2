/** The page's entry: placeholder until the views land. */
import './style.css';

const app = document.getElementById('app');
if (app) app.textContent = 'Pump fleet dashboard';
