import type { Request, Response } from 'express';
import { ODataError } from '../odata/errors.js';
import type { FaultInjector } from '../faults/injector.js';
import { routeParam } from './route-param.js';

/** `/_emulator/faults`: POST a rule (or an array), GET the rules with their counters, DELETE them. */
export function faultHandlers(faults: FaultInjector) {
  return {
    add(req: Request, res: Response): void {
      const body: unknown = req.body;
      res.status(201).json({ faults: faults.add(Array.isArray(body) ? body : [body]) });
    },
    list(_req: Request, res: Response): void {
      res.status(200).json({ faults: faults.list() });
    },
    clear(_req: Request, res: Response): void {
      faults.clear();
      res.status(204).end();
    },
    remove(req: Request, res: Response): void {
      if (!faults.remove(routeParam(req, 'id'))) throw new ODataError(404, `No fault rule '${routeParam(req, 'id')}'`);
      res.status(204).end();
    },
  };
}
