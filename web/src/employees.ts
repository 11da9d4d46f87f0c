/*
 * The employees app (Pegasus's example): a page of the list with paging, create, edit, delete,
 * and charts of the employee-data/ aggregates. Everything through the generated PegasusApi.
 */
import { DepartmentEnum, type Employee, type PaginatedEmployeeList } from 'api-client';
import { fieldErrors, isStatus, pegasus } from './api';
import { barChart } from './chart';
import { clearErrors, field, formError, h, showErrors } from './dom';

const PAGE_SIZE = 100;
/* The names Pegasus's Department choices show (the schema's DepartmentEnum description); a
 * Record over the enum, so a department added to the API fails the build until it has a name. */
const departmentNames: Record<DepartmentEnum, string> = {
  [DepartmentEnum.Hr]: 'Human Resources',
  [DepartmentEnum.Finance]: 'Finance',
  [DepartmentEnum.Engineering]: 'Engineering',
  [DepartmentEnum.Marketing]: 'Marketing',
  [DepartmentEnum.Sales]: 'Sales',
};
const departments = Object.values(DepartmentEnum).map((v) => [departmentNames[v], v] as [string, DepartmentEnum]);
const departmentName = (code: unknown) => departmentNames[code as DepartmentEnum] ?? String(code);
const money = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;

export function employeesPage(): HTMLElement {
  let page = Number(new URLSearchParams(location.hash.split('?')[1] ?? '').get('page') ?? 1) || 1;
  let editing: Employee | null = null;

  const title = h('h2', {}, 'Add an employee');
  const nameInput = h('input', { name: 'name', id: 'employee-name', maxlength: '100' });
  const deptSelect = h('select', { name: 'department', id: 'employee-department' },
    ...departments.map(([label, value]) => h('option', { value }, label)));
  const salaryInput = h('input', { name: 'salary', id: 'employee-salary', type: 'number', min: '0', step: '1' });
  const submit = h('button', { type: 'submit' }, 'Add employee');
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');
  const form = h('form', { id: 'employee-form', novalidate: true }, formError(), field('Name', nameInput),
    field('Department', deptSelect), field('Salary', salaryInput), h('div', { class: 'actions' }, submit, cancel));

  const list = h('div', { id: 'employee-list' });
  const charts = h('div', { id: 'employee-charts', class: 'charts' });

  const resetForm = () => {
    editing = null;
    form.reset();
    clearErrors(form);
    title.textContent = 'Add an employee';
    submit.textContent = 'Add employee';
    cancel.hidden = true;
  };
  cancel.addEventListener('click', resetForm);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const salary = salaryInput.value.trim();
    // an empty salary is left out, so the API reports "This field is required." next to it
    const body = { name: nameInput.value, department: deptSelect.value as DepartmentEnum,
      ...(salary === '' ? {} : { salary: Number(salary) }) } as { name: string; department: DepartmentEnum; salary: number };
    try {
      if (editing) await pegasus().employeesPartialUpdate({ id: editing.id, patchedEmployee: body });
      else await pegasus().employeesCreate({ employee: body });
      resetForm();
      await refresh();
    } catch (err) {
      showErrors(form, fieldErrors(err));
    }
  });

  const edit = (emp: Employee) => {
    editing = emp;
    nameInput.value = emp.name;
    deptSelect.value = emp.department;
    salaryInput.value = String(emp.salary);
    title.textContent = `Edit ${emp.name}`;
    submit.textContent = 'Save changes';
    cancel.hidden = false;
    nameInput.focus();
  };

  const remove = async (emp: Employee, row: HTMLElement) => {
    try {
      await pegasus().employeesDestroy({ id: emp.id });
      if (editing?.id === emp.id) resetForm();
      await refresh();
    } catch (err) {
      row.querySelector('.row-error')!.textContent = fieldErrors(err).detail?.join(' ') ?? 'Could not delete.';
    }
  };

  const renderList = (data: PaginatedEmployeeList) => {
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    const rows = data.results.map((emp) => {
      const row = h('tr', { 'data-employee-id': String(emp.id) },
        h('td', { class: 'name' }, emp.name), h('td', {}, departmentName(emp.department)),
        h('td', { class: 'num' }, money(emp.salary)),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'secondary', 'data-action': 'edit', onclick: () => edit(emp) }, 'Edit'),
          h('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: () => remove(emp, row) }, 'Delete'),
          h('small', { class: 'error row-error' })));
      return row;
    });
    const goPage = (n: number) => { page = n; history.replaceState(null, '', `#/employees?page=${n}`); void refresh(); };
    list.replaceChildren(
      data.count === 0
        ? h('p', { class: 'muted', id: 'no-employees' }, 'No employees yet. Add one above.')
        : h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Department'),
            h('th', { class: 'num' }, 'Salary'), h('th', {}, ''))), h('tbody', {}, ...rows)),
      h('nav', { class: 'pager' },
        h('button', { type: 'button', class: 'secondary', 'data-action': 'previous', disabled: !data.previous, onclick: () => goPage(page - 1) }, '← Previous'),
        h('span', { id: 'page-info' }, `Page ${page} of ${pages} · ${data.count} employee${data.count === 1 ? '' : 's'}`),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'next', disabled: !data.next, onclick: () => goPage(page + 1) }, 'Next →')));
  };

  const refresh = async () => {
    try {
      let data: PaginatedEmployeeList;
      try {
        data = await pegasus().employeesList({ page });
      } catch (err) {
        if (!isStatus(err, 404) || page === 1) throw err;
        page = 1; // the page emptied (a delete): back to the first
        data = await pegasus().employeesList({ page });
      }
      renderList(data);
      const agg = await pegasus().employeesAggregateData();
      const pairs = (v: unknown) => (v as Array<[string, number]>).map(([d, n]) => [departmentName(d), Number(n)] as [string, number]);
      charts.replaceChildren(
        barChart('Total cost by department', pairs(agg.total_costs), money),
        barChart('Average salary by department', pairs(agg.average_salaries), money),
        barChart('Headcount by department', pairs(agg.headcounts), (n) => String(n)));
    } catch (err) {
      list.replaceChildren(h('p', { class: 'form-error' }, fieldErrors(err).detail?.join(' ') ?? 'Could not load employees.'));
    }
  };
  void refresh();

  return h('div', { class: 'page' },
    h('h1', {}, 'Employees'),
    h('section', { class: 'card' }, title, form),
    h('section', { class: 'card' }, h('h2', {}, 'Your employees'), list),
    h('section', { class: 'card' }, h('h2', {}, 'Employee data'), charts));
}
